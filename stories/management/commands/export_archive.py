import sys
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from stories.interchange.archive import describe
from stories.interchange.export import export_archive


class Command(BaseCommand):
    help = (
        "Write the whole archive (places, performers, sources, stories and their posts) to a "
        "JSON Lines file, one record a line, in a stable order: the same archive always gives "
        "the same bytes. Load it with load_archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The file to write (.jsonl).")

    def handle(self, *args, path, **options):
        started = time.monotonic()
        counts = export_archive(path, progress=sys.stderr.isatty())
        seconds = time.monotonic() - started
        self.stdout.write(
            gettext("Exported %(counts)s to %(path)s.")
            % {"counts": describe(counts, seconds), "path": path}
        )
