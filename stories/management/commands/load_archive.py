import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from stories.interchange.archive import LoadError, describe
from stories.interchange.bulk_load import load_archive
from stories.management.search_index import index_after_load


class Command(BaseCommand):
    help = (
        "Load a file written by export_archive (or generate_archive --output) into an empty "
        "archive, in bulk and in one transaction: a bad line stops it with the line number and "
        "nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The JSON Lines file to load.")

    def handle(self, *args, path, **options):
        started = time.monotonic()
        try:
            counts = load_archive(path, progress=sys.stderr.isatty())
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        except LoadError as exc:
            raise CommandError(f"{path}, {exc}. Nothing was loaded.") from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            gettext("Loaded %(counts)s from %(path)s.")
            % {"counts": describe(counts, seconds), "path": path}
        )
        index_after_load(self)
