import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from stories.interchange.archive import LoadError, describe
from stories.interchange.synthetic import generate_archive
from stories.management.search_index import index_after_load


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic archive for scale work (real cities, lockdown "
        "dates, 0-5 posts a story, shared performers, every status) into the empty database, "
        "or with --output into a JSON Lines file as export_archive writes it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stories", type=int, required=True, metavar="N", help="How many stories."
        )
        parser.add_argument(
            "--seed", type=int, default=1, metavar="S", help="Same seed, same archive (1)."
        )
        parser.add_argument(
            "--output", metavar="FILE", help="Write the archive to FILE instead of the database."
        )

    def handle(self, *args, stories, seed, output, **options):
        if stories < 0:
            raise CommandError("--stories must be 0 or more.")
        started = time.monotonic()
        try:
            counts = generate_archive(
                stories, seed=seed, output=output, progress=sys.stderr.isatty()
            )
        except LoadError as exc:
            raise CommandError(f"{exc}. Nothing was generated.") from exc
        seconds = time.monotonic() - started
        where = output or gettext("the database")
        self.stdout.write(
            gettext("Generated %(counts)s into %(where)s (seed %(seed)s).")
            % {"counts": describe(counts, seconds), "where": where, "seed": seed}
        )
        if output is None:
            index_after_load(self)
