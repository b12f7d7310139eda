"""Text search over stories: PostgreSQL full-text search, with a plain match on SQLite.

On PostgreSQL each story keeps a stored `search_vector` (GIN-indexed) built from its title
(weight A), summary and performer names and roles (B), body (C) and the text, author and
handle of its linked posts (D). Triggers keep it current whichever way rows change (admin,
loaddata, imports, raw SQL), so no Python code has to remember to refresh it: migration
0004_story_search installs them, on PostgreSQL only.

Bulk loads (stories/interchange/bulk_load.py) pause the triggers and commit their stories with
no vector; `index_missing_vectors()` then fills them in, batch by batch, while the site
already serves the new archive (`manage.py load_archive` and `generate_archive` call it right
after the load, `manage.py rebuild_search_index` finishes an interrupted run). The trigger and the
batches compute the document with the same database function, stories_story_search_vector()
(migration 0007).

On SQLite (development and the fast test pass) `matching()` falls back to a
case-insensitive substring match of every word over the same fields, which gives the
same results on the seed data.
"""

import threading
from contextlib import contextmanager

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from tqdm import tqdm

SEARCH_CONFIG = "english"


def uses_full_text_search():
    return connection.vendor == "postgresql"


def matching(queryset, words):
    """Stories of `queryset` that match the visitor's words (every word must match)."""
    if uses_full_text_search():
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.filter(search_vector=query)
    from stories.models import LinkedPost, Performer

    for word in words.split():
        negated = word.startswith("-")
        word = word.strip("\"'-")
        if not word or word.upper() == "OR":
            continue
        performers = Performer.objects.filter(stories=OuterRef("pk")).filter(
            Q(name__icontains=word) | Q(role__icontains=word)
        )
        posts = LinkedPost.objects.filter(story=OuterRef("pk")).filter(
            Q(text__icontains=word) | Q(author_name__icontains=word) | Q(handle__icontains=word)
        )
        match = (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Exists(performers)
            | Exists(posts)
        )
        queryset = queryset.exclude(match) if negated else queryset.filter(match)
    return queryset


def by_relevance(queryset, words):
    """Orders matching stories (a StoryQuerySet) best first, ties newest first (PostgreSQL);
    newest first where search is plain."""
    if uses_full_text_search():
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", *queryset.NEWEST_FIRST
        )
    return queryset.newest_first()


# The row triggers migration 0004 installs, by table. A bulk load pauses them: row by row,
# a million stories take many minutes; `index_missing_vectors()` fills the vectors in later.
SEARCH_TRIGGERS = {
    "stories_story": "stories_story_search_document",
    "stories_linkedpost": "stories_story_search_posts",
    "stories_story_performers": "stories_story_search_performers",
    "stories_performer": "stories_story_search_performer_names",
}

# A story's weighted document (migration 0007), the same function the trigger calls.
VECTOR_OF_STORY = "stories_story_search_vector(id, title, summary, body)"

# Every story's vector in one go, for bench/browse_at_scale.py's fill: computed in a query
# PostgreSQL can spread over several cores (a CREATE TABLE AS runs its SELECT in parallel; an
# UPDATE does not), then joined in.
REBUILD_STATEMENTS = [
    f"CREATE TEMP TABLE stories_search_rebuild AS SELECT id, {VECTOR_OF_STORY} AS vector "
    "FROM stories_story",
    "UPDATE stories_story s SET search_vector = r.vector "
    "FROM stories_search_rebuild r WHERE r.id = s.id",
    "DROP TABLE stories_search_rebuild",
]
REBUILD_SQL = ";\n".join(REBUILD_STATEMENTS)


def pause_search_triggers():
    """Switch the search triggers off for a bulk load (PostgreSQL; nothing to do on SQLite).

    Call inside the load's transaction: ALTER TABLE is transactional on PostgreSQL, so a failed
    load leaves the triggers as they were. The stories loaded meanwhile have no vector until
    `index_missing_vectors()` runs, after the load has committed.
    """
    if not uses_full_text_search():
        return
    with connection.cursor() as cursor:
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")


def resume_search_triggers():
    """Switch the search triggers back on, at the end of the load's transaction. Vectors are
    not computed here: that would hold the load's transaction for minutes with a million
    stories."""
    if not uses_full_text_search():
        return
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; check them now, as ALTER TABLE refuses to run
        # while their trigger events are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def search_triggers_paused():
    """The search triggers off for the block, as in a bulk load; then the vectors of the
    stories written meanwhile filled in."""
    pause_search_triggers()
    yield
    resume_search_triggers()
    index_missing_vectors()


def unindexed_story_count(queryset=None):
    """How many stories of `queryset` (all stories by default) search cannot find yet because
    they have no vector. Always 0 on SQLite, which has no stored index. Cheap once search is
    complete: it reads the partial index stories_story_unindexed, then empty."""
    if not uses_full_text_search():
        return 0
    from stories.models import Story

    if queryset is None:
        queryset = Story.objects.all()
    return queryset.filter(search_vector__isnull=True).count()


def index_missing_vectors(*, batch_size=5000, workers=2, progress=False):
    """Fill in the vector of every story that has none (after a bulk load); returns how many.

    Batches of `batch_size` stories by primary key range, each one UPDATE committed on its
    own: the site keeps serving, each batch makes its stories searchable, and an interruption
    loses at most the batches under way (run it again to finish). Nothing to do on SQLite.
    """
    return _index(missing_only=True, batch_size=batch_size, workers=workers, progress=progress)


def rebuild_all_vectors(*, batch_size=5000, workers=2, progress=False):
    """Recompute every story's vector, in committed batches as `index_missing_vectors()`
    does; stories stay searchable (with their old vector) until their batch is done."""
    return _index(missing_only=False, batch_size=batch_size, workers=workers, progress=progress)


def _index(*, missing_only, batch_size, workers, progress):
    if not uses_full_text_search():
        return 0
    if batch_size < 1 or workers < 1:
        raise ValueError("batch_size and workers must be 1 or more")
    batches = Batches(missing_only, batch_size)
    total = None
    if progress:
        total = unindexed_story_count() if missing_only else _story_count()
    with tqdm(total=total, unit=" stories", disable=not progress) as bar:
        # Other connections cannot see rows the current transaction has not committed (a
        # test's, or a caller's atomic block): then the batches run here, one after another.
        if workers == 1 or connection.in_atomic_block:
            return batches.run(bar)
        return _run_in_threads(batches, workers, bar)


def _story_count():
    from stories.models import Story

    return Story.objects.count()


class Batches:
    """Hands out consecutive ranges of story ids, `size` stories each (the ids may be sparse,
    so a range ends at the size-th story's id), and indexes each range in one UPDATE.

    Thread-safe: several workers take ranges from one instance, each on its own connection.
    """

    def __init__(self, missing_only, size):
        unindexed = " AND search_vector IS NULL" if missing_only else ""
        # Served by stories_story_unindexed for missing vectors, by the primary key otherwise.
        self.upper_bound_sql = (
            "SELECT max(id) FROM (SELECT id FROM stories_story "
            f"WHERE id > %s{unindexed} ORDER BY id LIMIT %s) batch"
        )
        # Setting search_vector alone does not fire the document trigger (it fires on
        # UPDATE OF title, summary, body), which would compute the vector a second time.
        self.update_sql = (
            f"UPDATE stories_story SET search_vector = {VECTOR_OF_STORY} "
            f"WHERE id > %s AND id <= %s{unindexed}"
        )
        self.size = size
        self.last_id = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def next_range(self, cursor):
        """The next (after, up_to] range of ids, or None when every story has been taken."""
        with self.lock:
            if self.stopped.is_set():
                return None
            cursor.execute(self.upper_bound_sql, [self.last_id, self.size])
            (up_to,) = cursor.fetchone()
            if up_to is None:
                return None
            after, self.last_id = self.last_id, up_to
            return after, up_to

    def run(self, bar):
        """Index ranges on this thread's connection until none is left; returns how many."""
        indexed = 0
        with connection.cursor() as cursor:
            while (ids := self.next_range(cursor)) is not None:
                with transaction.atomic():
                    cursor.execute(self.update_sql, ids)
                count = cursor.rowcount
                indexed += count
                with self.lock:
                    bar.update(count)
        return indexed


def _run_in_threads(batches, workers, bar):
    counts = []
    errors = []

    def work():
        try:
            counts.append(batches.run(bar))
        except BaseException as exc:  # handed to the calling thread, which raises it
            errors.append(exc)
            batches.stopped.set()
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, name=f"search-index-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        # On Ctrl-C, let each worker commit the batch it is on, then stop.
        batches.stopped.set()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return sum(counts)
