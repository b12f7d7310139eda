import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from stories.management.search_index import FINISH, missing, stories
from stories.search import (
    index_missing_vectors,
    rebuild_all_vectors,
    rebuild_fts_index,
    uses_full_text_search,
)


def positive(value):
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Fill in the full-text search vectors of the stories that have none (PostgreSQL), as "
        "load_archive and generate_archive do after a bulk load; run it to finish an "
        "interrupted run. Batches commit one by one while the site serves. With --all, "
        "recompute every story's vector. On SQLite, rebuild the FTS5 index of the published "
        "stories in one transaction (the options do not apply)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every_story",
            help="Recompute every story's vector, not only the missing ones (after changing "
            "how the search document is built).",
        )
        parser.add_argument(
            "--workers",
            type=positive,
            default=2,
            metavar="N",
            help="Batches indexed at the same time, each on its own database connection (2).",
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=5000,
            metavar="N",
            help="Stories per batch; each batch commits on its own (5000).",
        )

    def handle(self, *args, every_story, workers, batch_size, **options):
        if not uses_full_text_search():
            # SQLite: one statement rebuilds the whole FTS5 index (seconds at 100,000).
            started = time.monotonic()
            count = rebuild_fts_index()
            self.stdout.write(
                gettext("Search index: %(stories)s recomputed in %(seconds).1f s.")
                % {"stories": stories(count), "seconds": time.monotonic() - started}
            )
            return
        index = rebuild_all_vectors if every_story else index_missing_vectors
        started = time.monotonic()
        try:
            count = index(batch_size=batch_size, workers=workers, progress=sys.stderr.isatty())
        except KeyboardInterrupt as exc:
            if every_story:
                raise CommandError(
                    "Interrupted: the batches done so far are committed; run "
                    "`manage.py rebuild_search_index --all` again to recompute every vector."
                ) from exc
            raise CommandError(
                gettext("Interrupted: %(missing)s; %(finish)s.")
                % {"missing": missing(), "finish": FINISH}
            ) from exc
        seconds = time.monotonic() - started
        report = (
            gettext("Search index: %(stories)s recomputed in %(seconds).1f s.")
            if every_story
            else gettext("Search index: %(stories)s indexed in %(seconds).1f s.")
        )
        self.stdout.write(report % {"stories": stories(count), "seconds": seconds})
