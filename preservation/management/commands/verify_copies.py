import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from preservation.models import ArchivedCopy
from preservation.verify import verify


class Command(BaseCommand):
    help = (
        "Read every archived copy's file back and recompute its SHA-256; report each copy "
        "whose file is missing or changed, and exit with status 1 if any is. Changes nothing."
    )

    def handle(self, *args, **options):
        total = ArchivedCopy.objects.count()
        bar = tqdm(total=total, unit="copy", disable=not sys.stderr.isatty())
        problems = []
        for problem in verify(progress=bar.update):
            problems.append(problem)
            bar.write(str(problem), file=sys.stderr)
        bar.close()
        if problems:
            raise CommandError(
                f"{len(problems)} of {total} copies' files are missing or changed (listed above)."
            )
        self.stdout.write(f"All {total} copies' files are present and unchanged.")
