"""SQLite's full-text index (FTS5, stories/search.py): what it holds whatever writes the rows,
its triggers, and the translation of the visitor's words into a query FTS5 always accepts.
The results themselves are tested on both databases in test_search.py."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stories import facts, search
from stories import words as term_words
from stories.models import Country, LinkedPost, Story
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def index_rows():
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, {', '.join(search.FTS_COLUMNS)} FROM {search.FTS_TABLE} ORDER BY rowid"
        )
        return cursor.fetchall()


def assert_index_is_current():
    """The rows the triggers left are those a rebuild from the stories gives."""
    kept = index_rows()
    search.rebuild_fts_index()
    assert kept == index_rows()


def test_the_index_holds_only_the_published_stories(seed_like_with_hidden):
    published = set(Story.objects.published().values_list("pk", flat=True))
    assert {row[0] for row in index_rows()} == published


@pytest.fixture
def seed_like_with_hidden():
    stories = factories.seed_like()
    for status in (Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN):
        stories[status] = factories.story(f"Hidden {status}", status=status)
    return stories


def test_the_index_follows_every_kind_of_change(seed_like_with_hidden):
    stories = seed_like_with_hidden
    florence, turin = stories["florence"], stories["turin"]
    florence.title = "Maurizio Marchini sings again"
    florence.save()
    dj = stories["palermo"].performers.get()
    dj.name, dj.role = "Salvatore Rizzo", "DJ and producer"
    dj.save()
    turin.performers.add(dj)
    stories["palermo"].performers.clear()
    post = factories.post(turin, url="https://twitter.com/x/status/1", text="Bravi!")
    post.text = "Bravissimi!"
    post.save()
    florence.posts.get().delete()
    LinkedPost.objects.filter(pk=post.pk).update(story=stories["sicily"])
    stories[Story.Status.DRAFT].status = Story.Status.PUBLISHED
    stories[Story.Status.DRAFT].published_at = florence.published_at
    stories[Story.Status.DRAFT].save()
    stories["spain"].status = Story.Status.WITHDRAWN
    stories["spain"].save()
    Story.objects.filter(pk=stories[Story.Status.IN_REVIEW].pk).delete()
    assert_index_is_current()
    rows = {row[0]: row for row in index_rows()}
    assert stories["spain"].pk not in rows
    assert stories[Story.Status.DRAFT].pk in rows
    assert "Salvatore Rizzo DJ and producer" in rows[turin.pk][3]
    assert "Bravissimi!" in rows[stories["sicily"].pk][5]


def test_a_performer_written_after_its_links_is_in_the_index(seed_like_with_hidden):
    """As a bulk load writes them: the links first, the performer at the end (foreign keys
    are checked at commit)."""
    turin = seed_like_with_hidden["turin"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stories_story_performers (story_id, performer_id) VALUES (%s, 9999)",
            [turin.pk],
        )
        factories.performer("Salvatore Rizzo", pk=9999, role="cellist")
    assert "Salvatore Rizzo cellist" in {row[0]: row for row in index_rows()}[turin.pk][3]
    assert_index_is_current()


def test_a_bulk_load_leaves_the_index_current_and_its_triggers_installed(tmp_path):
    call_command("generate_archive", stories=60, seed=3, verbosity=0)
    assert index_rows()
    assert_index_is_current()
    assert installed_triggers() == sorted(search.fts_triggers())


def installed_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            r"AND name LIKE 'stories\_story\_fts\_%' ESCAPE '\' ORDER BY name"
        )
        return [name for (name,) in cursor.fetchall()]


def test_the_triggers_the_code_names_are_exactly_those_installed():
    assert installed_triggers() == sorted(search.fts_triggers())


def test_a_paused_index_is_rebuilt_when_resumed():
    search.pause_search_triggers()
    assert installed_triggers() == []
    story = factories.story("Tarantella on the terrace")
    assert story.pk not in {row[0] for row in index_rows()}
    search.resume_search_triggers()
    assert story.pk in {row[0] for row in index_rows()}
    assert installed_triggers() == sorted(search.fts_triggers())


# The translation of the visitor's words.


def test_every_term_is_quoted_and_syntax_is_only_separators():
    """A word with punctuation inside is a phrase of its parts (as PostgreSQL reads
    "title:x"); a phrase loses the stop words at its ends."""
    assert search.fts5_query(search.parse_websearch('title:x NEAR(y*) "a b" -c OR d')) == (
        '(("title x" AND "near y" AND "b") NOT ("c")) OR (("d"))'
    )


def test_stop_words_are_left_out_as_postgresql_leaves_them_out():
    assert search.parse_websearch("the balcony of a tenor") == [
        search.Alternative(required=[("balcony",), ("tenor",)])
    ]
    assert search.parse_websearch('"the" OR a -an') == []


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab \"-*^:()ORNEAR{}+.'\\é\t")) | st.characters(),
        max_size=40,
    )
)
def test_fts5_accepts_whatever_the_visitor_types(words):
    published = Story.objects.published()
    list(search.by_relevance(search.matching(published, words), words)[:5])


@pytest.mark.parametrize("words", ["balcony", "Palermo DJ", "balcony OR applause"])
@pytest.mark.parametrize("country", ["", "IT"])
def test_a_search_is_counted_in_the_index_as_the_list_query_counts(
    client, seed_like_with_hidden, words, country
):
    """The list's total for words, alone or with a country, comes from the index (published
    stories only); it is the count of the list's own query, before and after a story is
    withdrawn."""
    from django.core.cache import caches
    from django.urls import reverse

    params = {"q": words, **({"country": country} if country else {})}
    key = str(Country.objects.get(code=country).pk) if country else ""
    term = search.fts_term(words)

    def listed():
        for cache in caches.all():  # (a page kept whole has no context)
            cache.clear()
        return client.get(reverse("browse:list"), params).context["page"].paginator.count

    def slow():
        stories = Story.objects.published()
        if country:
            stories = stories.in_countries([Country.objects.get(code=country)])
        return search.matching(stories, words).count()

    facts.bring_up_to_date()  # (as each page does first: a country is read from the facet rows)
    assert term_words.total(term, key) == slow() == listed() > 0
    for story in search.matching(Story.objects.published(), words):
        if not country or story.countries.filter(code=country).exists():
            story.status = Story.Status.WITHDRAWN
            story.save()
            break
    assert listed() == slow()
    assert term_words.total(term, key) == slow()


@pytest.mark.parametrize("words", ["-balcony", "balcony OR -applause", "the", "?!"])
def test_words_one_match_cannot_answer_are_left_to_the_list_query(words):
    assert search.fts_term(words) is None
