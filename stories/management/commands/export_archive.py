import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from stories.interchange.archive import describe
from stories.interchange.export import export_archive
from stories.interchange.files import ExportError, files_folder


class Command(BaseCommand):
    help = (
        "Write the whole archive (places, performers, sources, stories and their posts, the "
        "archived copies, link checks and correction requests) to a JSON Lines file, one "
        "record a line, in a stable order: the same archive always gives the same bytes. The "
        "copies' files go to a folder beside it (archive.jsonl: archive.files/). Load it with "
        "load_archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The file to write (.jsonl).")

    def handle(self, *args, path, **options):
        started = time.monotonic()
        try:
            counts = export_archive(path, progress=sys.stderr.isatty())
        except OSError as exc:
            raise CommandError(
                f"{exc.filename or path}: cannot be written ({exc.strerror or exc})"
            ) from exc
        except ExportError as exc:
            raise CommandError(f"{exc}. Nothing was written; {path} is as it was.") from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            gettext("Exported %(counts)s to %(path)s.")
            % {"counts": describe(counts, seconds), "path": path}
        )
        if files_folder(path).exists():
            self.stdout.write(
                gettext("The archived copies' files are in %(folder)s.")
                % {"folder": files_folder(path)}
            )
