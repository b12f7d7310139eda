"""A search the index answers by itself, alone or with a country: its total, its stories
ranked to a page's reach, its stories in the sample, all of them.

The term is what `term()` makes of the visitor's words. On PostgreSQL, one lexeme, read from
the word tables (stories/facts.py: `word_total()` and the others). On SQLite, any words one
FTS5 MATCH answers, read from the FTS5 index alone (stories/search.py: `fts_total()` and
the others): at 100,000 stories, a word in 61,000 of the 70,000 published ones was counted
in Italy in 23 ms and sampled in 6, where the list's own query, joining each story, took 45
to 60 for each. browse/facets.py reads them; the list is the same, in the same order
(tests/test_search_words.py compares them with ranking every match).
"""

from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Value, When
from django.db.models.expressions import RawSQL

from stories import facts, search
from stories.models import Story


def _postgresql():
    return connection.vendor == "postgresql"


def term(words):
    """The term `words` come to, or None when the index alone cannot answer them."""
    return search.single_lexeme(words) if _postgresql() else search.fts_term(words)


def total(term, country=""):
    """How many published stories have `term` (in `country`, a country facet key)."""
    return (facts.word_total if _postgresql() else search.fts_total)(term, country)


def ranked(term, reach, country=""):
    """{story id: rank} of the stories with `term` (in `country`) ranked at or above the
    `reach`-th, and those tied with it: every story of the list's first `reach`, and a few
    more, for `in_order()`. (On PostgreSQL the ranks are not read: None.) None on SQLite
    beyond ORDERED_AT_MOST."""
    if _postgresql():
        return dict.fromkeys(facts.ranked_words(term, reach, country))
    if reach > ORDERED_AT_MOST:
        return None  # (in_order() then ranks every match)
    return search.fts_ranked(term, reach, country)


def ranked_among(rows, reach):
    """ranked() of the term's stories read by rows(), found in Python."""
    kept = set(facts.ranked_among(rows, reach))
    return {story_id: rank for story_id, rank, _ in rows if story_id in kept}


# SQLite: at most this many ids are ordered by their ranks (a page reaching the 1,000th
# story, and its ties); beyond, the list's own query ranks every match, as SQLite did before
# (a CASE of 60,000 ids would pass more parameters than SQLite takes).
ORDERED_AT_MOST = 1_000


def in_order(stories, ranked):
    """The stories of `ranked` (from ranked()), in the list's order: best match first, then
    newest first, then by title. `stories`: the list's query, which orders them so.

    PostgreSQL: the list's query cut to those ids (one array: a deep page of a common word
    keeps more than the 65,535 parameters a statement may have). SQLite: the list's query
    orders by bm25() of a MATCH, which FTS5 answers for a few ids by matching the words again
    for each (34 to 48 ms for a common word's 120): the ranks read order them instead, as a
    CASE on the id."""
    if _postgresql():
        ids = "{" + ",".join(str(story_id) for story_id in ranked) + "}"
        among = RawSQL('"stories_story"."id" = ANY(%s::bigint[])', [ids], BooleanField())
        return stories.filter(among)
    if ranked is None or len(ranked) > ORDERED_AT_MOST:
        return stories
    if not ranked:
        return stories.none()
    rank = Case(
        *(When(pk=story_id, then=Value(rank)) for story_id, rank in ranked.items()),
        output_field=FloatField(),
    )
    chosen = Story.objects.published().filter(pk__in=list(ranked))
    return chosen.annotate(rank=rank).order_by("-rank", *chosen.NEWEST_FIRST)


def rows(term, country="", limit=None):
    """[(story id, rank, start date)] of the stories with `term` (in `country`), at most
    `limit`, the rank higher for a better match (for ranked_among())."""
    return (facts.word_rows if _postgresql() else search.fts_rows)(term, country, limit)


def sampled(term, limit, country=""):
    """[(story id, hash bucket)] of the stories in the sample with `term` (in `country`),
    lowest bucket first, at most `limit`."""
    return (facts.sampled_words if _postgresql() else search.fts_sampled)(term, limit, country)


def stories(term, country=""):
    """(SQL, parameters) of a query of the ids of the stories with `term` (in `country`)."""
    return (facts.word_stories if _postgresql() else search.fts_stories)(term, country)
