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
