"""Filling in the search index after a bulk load, as load_archive and generate_archive do."""

import sys
import time

from django.core.management.base import CommandError
from django.db import DatabaseError

from stories.search import index_missing_vectors, unindexed_story_count, uses_full_text_search

FINISH = "run `manage.py rebuild_search_index` to finish"


def index_after_load(command):
    """Make the stories the load has just committed searchable, batch by batch, and say how
    long it took. The archive is already loaded (and served) by then, so an interruption only
    leaves some stories unsearchable: the error says how to finish."""
    if not uses_full_text_search():
        return  # SQLite has no stored search index: stories are searchable at once
    command.stdout.flush()  # the load's own line first, while the index fills in
    started = time.monotonic()
    try:
        count = index_missing_vectors(progress=sys.stderr.isatty())
    except (KeyboardInterrupt, DatabaseError) as exc:
        raise CommandError(
            f"The archive is loaded, but the search index is incomplete: {missing()}; {FINISH}."
        ) from exc
    seconds = time.monotonic() - started
    command.stdout.write(f"Search index: {stories(count)} in {seconds:.1f} s.")


def missing():
    """How many stories are not searchable yet, in words (if the database still answers)."""
    try:
        return f"{stories(unindexed_story_count())} not searchable yet"
    except DatabaseError:
        return "some stories are not searchable yet"


def stories(count):
    return f"{count} {'story' if count == 1 else 'stories'}"
