"""Filling in the search index after a bulk load, as load_archive and generate_archive do."""

import sys
import time

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils.translation import gettext, gettext_lazy, ngettext

from stories.search import index_missing_vectors, unindexed_story_count, uses_full_text_search

FINISH = gettext_lazy("run `manage.py rebuild_search_index` to finish")


def index_after_load(command):
    """Make the stories the load has just committed searchable, batch by batch, and say how
    long it took. The archive is already loaded (and served) by then, so an interruption only
    leaves some stories unsearchable: the error says how to finish."""
    if not uses_full_text_search():
        return  # SQLite: the load rebuilt its full-text index before committing
    command.stdout.flush()  # the load's own line first, while the index fills in
    started = time.monotonic()
    try:
        count = index_missing_vectors(progress=sys.stderr.isatty())
    except (KeyboardInterrupt, DatabaseError) as exc:
        raise CommandError(
            gettext(
                "The archive is loaded, but the search index is incomplete: %(missing)s; "
                "%(finish)s."
            )
            % {"missing": missing(), "finish": FINISH}
        ) from exc
    seconds = time.monotonic() - started
    command.stdout.write(
        gettext("Search index: %(stories)s in %(seconds).1f s.")
        % {"stories": stories(count), "seconds": seconds}
    )


def missing():
    """How many stories are not searchable yet, in words (if the database still answers)."""
    try:
        count = unindexed_story_count()
    except DatabaseError:
        return gettext("some stories are not searchable yet")
    return ngettext(
        "%(count)s story not searchable yet", "%(count)s stories not searchable yet", count
    ) % {"count": count}


def stories(count):
    return ngettext("%(count)s story", "%(count)s stories", count) % {"count": count}
