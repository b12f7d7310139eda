"""Text search over stories: PostgreSQL full-text search, with a plain match on SQLite.

On PostgreSQL each story keeps a stored `search_vector` (GIN-indexed) built from its title
(weight A), summary and performer names and roles (B), body (C) and the text, author and
handle of its linked posts (D). Triggers keep it current whichever way rows change (admin,
loaddata, imports, raw SQL), so no Python code has to remember to refresh it: migration
0004_story_search installs them, on PostgreSQL only.

On SQLite (development and the fast test pass) `matching()` falls back to a
case-insensitive substring match of every word over the same fields, which gives the
same results on the seed data.
"""

from contextlib import contextmanager

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

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
    """Orders matching stories best first (PostgreSQL); newest first where search is plain."""
    if uses_full_text_search():
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", F("start_date").desc(nulls_last=True), "title", "pk"
        )
    return queryset.order_by(F("start_date").desc(nulls_last=True), "title", "pk")


# The row triggers migration 0004 installs, by table. A bulk load pauses them and rebuilds
# every vector in one statement instead: row by row, a million stories take many minutes.
SEARCH_TRIGGERS = {
    "stories_story": "stories_story_search_document",
    "stories_linkedpost": "stories_story_search_posts",
    "stories_story_performers": "stories_story_search_performers",
    "stories_performer": "stories_story_search_performer_names",
}

# Every story's vector, computed in a query PostgreSQL can spread over several cores (a
# CREATE TABLE AS runs its SELECT in parallel; an UPDATE does not), then joined in.
VECTORS_SQL = """
CREATE TEMP TABLE stories_search_rebuild AS
WITH p AS (
  SELECT sp.story_id, string_agg(pf.name || ' ' || pf.role, ' ') AS names
  FROM stories_story_performers sp JOIN stories_performer pf ON pf.id = sp.performer_id
  GROUP BY sp.story_id),
l AS (
  SELECT story_id, string_agg(text || ' ' || author_name || ' ' || handle, ' ') AS texts
  FROM stories_linkedpost GROUP BY story_id)
SELECT s.id,
  setweight(to_tsvector('english', coalesce(s.title, '')), 'A') ||
  setweight(to_tsvector('english', coalesce(s.summary, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(p.names, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(s.body, '')), 'C') ||
  setweight(to_tsvector('english', coalesce(l.texts, '')), 'D') AS vector
FROM stories_story s LEFT JOIN p ON p.story_id = s.id LEFT JOIN l ON l.story_id = s.id
"""
REBUILD_STATEMENTS = [
    VECTORS_SQL,
    "UPDATE stories_story s SET search_vector = r.vector "
    "FROM stories_search_rebuild r WHERE r.id = s.id",
    "DROP TABLE stories_search_rebuild",
]
REBUILD_SQL = ";\n".join(statement.strip() for statement in REBUILD_STATEMENTS)


def pause_search_triggers():
    """Switch the search triggers off for a bulk load (PostgreSQL; nothing to do on SQLite).

    Call inside the load's transaction: ALTER TABLE is transactional on PostgreSQL, so a failed
    load leaves the triggers as they were. `resume_search_triggers()` switches them back on
    and rebuilds every vector in one statement.
    """
    if not uses_full_text_search():
        return
    with connection.cursor() as cursor:
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")


def resume_search_triggers():
    if not uses_full_text_search():
        return
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; check them now, as ALTER TABLE refuses to run
        # while their trigger events are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Let the planner use parallel workers however small the archive; for this
        # transaction only.
        cursor.execute("SET LOCAL parallel_setup_cost = 0")
        cursor.execute("SET LOCAL parallel_tuple_cost = 0")
        for statement in REBUILD_STATEMENTS:
            cursor.execute(statement)


@contextmanager
def search_triggers_paused():
    """The search triggers off for the block, then every vector rebuilt at once."""
    pause_search_triggers()
    yield
    resume_search_triggers()
