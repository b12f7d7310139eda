"""A search the index answers by itself (stories/words.py): on PostgreSQL one word, from the
word tables (stories/facts.py); on SQLite any words one MATCH answers, from the FTS5 index
alone. The same stories, in the same order, with the same total, as ranking every match.

Each list is compared with the slow way, `search.by_relevance(search.matching(...))` over
the published stories, page by page, with ties (stories equal on rank and date, ordered
by title) across the pages' edges."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from browse import facets
from browse.filters import checked_filters
from browse.views import STORIES_PER_PAGE
from stories import facts, sample, search, words
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2020, 3, 1)


@pytest.fixture
def stories():
    """55 stories with "balcony" (in the title, the summary or the body, once or twice; over
    a few days, so many tie), in Italy, Spain or both, or no country; drafts and a
    withdrawn story with the word too; others without it."""
    rome = factories.city("Rome")
    madrid = factories.city("Madrid", country_code="ES")
    places = [[rome], [madrid], [rome, madrid], []]
    where = [
        {"title": "Singing from a balcony"},
        {"title": "Singing together", "summary": "From a balcony in the evening."},
        {"title": "Singing together", "body": "Neighbours sang from a balcony."},
        {"title": "A balcony concert", "body": "Another balcony joined in."},
    ]
    made = []
    for n in range(55):
        fields = dict(where[n % 4])
        fields["title"] = f"{fields['title']} {n % 3}"  # (titles tie too)
        day = None if n % 11 == 0 else MARCH + datetime.timedelta(days=n % 3)
        made.append(factories.story(day=day, cities=places[n % 4], **fields))
    for status in (Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN):
        factories.story("Hidden balcony", day=MARCH, cities=[rome], status=status)
    for n in range(5):
        factories.story(f"Applause {n}", day=MARCH, cities=[rome])
    return made


def slow(words, country=None):
    published = Story.objects.published()
    if country is not None:
        published = published.in_countries([country])
    ranked = search.by_relevance(search.matching(published, words), words)
    return list(ranked.values_list("pk", flat=True))


def listed(client, **params):
    response = client.get(reverse("browse:list"), params)
    assert response.status_code == 200
    page = response.context["page"]
    return [story.pk for story in page.object_list], page.paginator.count


@pytest.mark.parametrize("words", ["balcony", "balconies", "Balcony!"])
@pytest.mark.parametrize("country", [None, "IT", "ES"])
def test_a_word_lists_what_ranking_every_match_lists(client, stories, words, country):
    from stories.models import Country

    expected = slow(words, Country.objects.get(code=country) if country else None)
    assert len(expected) > STORIES_PER_PAGE  # (at least two pages)
    params = {"q": words, **({"country": country} if country else {})}
    pages = -(-len(expected) // STORIES_PER_PAGE)
    for number in range(1, pages + 1):
        ids, count = listed(client, page=number, **params)
        assert count == len(expected)
        start = (number - 1) * STORIES_PER_PAGE
        assert ids == expected[start : start + STORIES_PER_PAGE]


def test_the_list_is_read_from_the_index_alone(client, stories):
    filterset = checked_filters({"q": "balconies", "country": "IT"})
    chosen = facets.selection(filterset)
    italy = str(filterset.form.cleaned_data["country"].pk)
    term = words.term("balconies")
    assert term == ("balconi" if connection.vendor == "postgresql" else '(("balconies"))')
    assert chosen.word == (term, italy)
    expected = slow("balconies", filterset.form.cleaned_data["country"])
    assert facets.story_count(filterset) == words.total(term, italy) == len(expected)
    # A page reaching 5 stories: those ranked at or above the 5th, and those tied with it
    # (here the 14 with the word in their title), not the others.
    candidates = words.ranked(term, 5, italy)
    assert set(expected[:5]) <= set(candidates) < set(expected)


@pytest.mark.parametrize(
    ("words", "lexeme"),
    [
        ("balconies", "balconi"),
        ("  The BALCONY ", "balconi"),
        ("balcony Rome", None),
        ('"balcony concert"', None),
        ('"from a balcony"', "balconi"),  # (a phrase of one word but stop words)
        ("-balcony", None),
        ("balcony OR window", None),
        ("the", None),
    ],
)
@pytest.mark.postgres
def test_what_counts_as_one_word(words, lexeme):
    assert search.single_lexeme(words) == lexeme


def test_other_filters_beside_a_word_use_the_list_query(client, stories):
    """A word with a city, a kind or dates is counted the slow way, and agrees."""
    rome = stories[0].cities.get()
    ids, count = listed(client, q="balcony", city=rome.slug, date_after="2020-03-02")
    expected = search.by_relevance(
        search.matching(
            Story.objects.published().in_cities([rome]).covering(first=MARCH.replace(day=2)),
            "balcony",
        ),
        "balcony",
    )
    assert count == expected.count()
    assert ids == list(expected.values_list("pk", flat=True)[:STORIES_PER_PAGE])


def test_a_withdrawn_story_leaves_the_word_on_the_next_request(client, stories):
    _, before = listed(client, q="balcony", country="ES")
    spanish = [s for s in stories if s.cities.filter(country__code="ES").exists()]
    spanish[0].status = Story.Status.WITHDRAWN
    spanish[0].save()
    ids, after = listed(client, q="balcony", country="ES")
    assert after == before - 1
    assert spanish[0].pk not in ids
    _, everywhere = listed(client, q="balcony")
    assert everywhere == len(slow("balcony"))


def test_a_retitled_story_is_found_by_its_new_word_on_the_next_request(client, stories):
    assert listed(client, q="nocturne") == ([], 0)
    story = stories[5]
    story.title = "A nocturne"
    story.save()
    assert listed(client, q="nocturne") == ([story.pk], 1)


def test_the_sample_of_a_word_is_the_sample_of_its_stories(stories):
    """The word rows' sample index gives the stories of the sample the list query would,
    lowest hash bucket first."""
    facts.bring_up_to_date()
    matching = slow("balcony")
    in_sample = sorted(
        ((pk, pk % sample.BUCKETS * sample.MULTIPLIER % sample.BUCKETS) for pk in matching),
        key=lambda row: row[1],
    )
    in_sample = [row for row in in_sample if row[1] < sample.SHARE]
    term = words.term("balcony")
    assert [tuple(row) for row in words.sampled(term, 10**6)] == in_sample
    assert len(words.sampled(term, 1)) == min(1, len(in_sample))


@pytest.mark.postgres
def test_the_first_page_reads_the_ranked_index(stories):
    """At the archive's scale a word is a small part of the table (here 55 rows among 20,000
    of other words, rows of no story, so that the planner sees it so)."""
    facts.bring_up_to_date()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stories_storyword (story_id, lexeme, rank, start_date) "
            "SELECT -n, 'other' || (n % 400), 0.1, NULL FROM generate_series(1, 20000) n"
        )
        cursor.execute("ANALYZE stories_storyword")
        cursor.execute(
            "EXPLAIN SELECT w.rank, w.start_date FROM stories_storyword w "
            "WHERE w.lexeme = 'balconi' "
            "ORDER BY w.rank DESC, w.start_date DESC NULLS LAST, w.story_id OFFSET 19 LIMIT 1"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "stories_storyword_ranked" in plan
    assert "Sort" not in plan


@pytest.mark.postgres
@pytest.mark.parametrize("country", ["", "IT"])
@pytest.mark.parametrize("reach", [1, 5, 20, 40, 55, 80])
def test_a_words_few_stories_ranked_in_python_are_those_the_word_index_ranks(
    stories, country, reach
):
    """A word's few stories, read once (for the list and its facets) and ranked in Python,
    give the ids the two ranked queries give: those at or above the reach-th, and those tied
    with it on rank and date, undated ones last."""
    facts.bring_up_to_date()
    key = str(factories.country(country).pk) if country else ""
    rows = facts.word_rows("balconi", key)
    assert len(rows) == facts.word_total("balconi", key)
    assert any(day is None for _, _, day in rows)  # (the fixture's undated stories)
    assert sorted(facts.ranked_among(rows, reach)) == sorted(
        facts.ranked_words("balconi", reach, key)
    )


@pytest.mark.postgres
def test_a_words_few_stories_are_read_once_a_page(client, stories):
    """The list's first page and its facets read the word's stories in Italy, with their
    ranks, once: no ranked query of the word's index for the list."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("browse:list"), {"q": "balcony", "country": "IT"})
    assert response.status_code == 200
    ranked = [q["sql"] for q in queries.captured_queries if "w.rank" in q["sql"]]
    assert len(ranked) == 1, ranked
    assert "SELECT w.story_id, w.rank, w.start_date FROM stories_storyword w" in ranked[0]
    expected = slow("balcony", factories.country("IT"))
    assert [story.pk for story in response.context["page"].object_list] == expected[:20]


@pytest.mark.postgres
def test_the_planner_keeps_statistics_of_the_commonest_two_thousand_words():
    """(facts.WORD_STATISTICS: with the default 100, a common word outside them was guessed
    at 1/66th of its rows, and a word in a country took 114 ms rather than 2.4.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'stories_storyword'::regclass AND attname = 'lexeme'"
        )
        assert cursor.fetchone()[0] == 2000
        facts.rebuild()
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'stories_storyword'::regclass AND attname = 'lexeme'"
        )
        assert cursor.fetchone()[0] == 2000


@pytest.mark.parametrize("country", ["", "IT"])
@pytest.mark.parametrize("reach", [1, 5, 20, 21, 40, 55, 80])
def test_both_ways_of_ranking_reach_every_story_up_to_the_pages_end(stories, country, reach):
    """Ranked by the index (words.ranked()) or among the few stories read once
    (words.ranked_among()): every story of the list's first `reach`, and on SQLite only
    those scored at least as well as the reach-th."""
    facts.bring_up_to_date()
    term = words.term("balcony")
    key = str(factories.country(country).pk) if country else ""
    expected = slow("balcony", factories.country(country) if country else None)
    rows = words.rows(term, key)
    assert sorted(story_id for story_id, _, _ in rows) == sorted(expected)
    for ranked in (words.ranked(term, reach, key), words.ranked_among(rows, reach)):
        assert set(expected[:reach]) <= set(ranked)
        if reach < len(expected) and connection.vendor == "sqlite":
            edge = {story_id: rank for story_id, rank, _ in rows}[expected[reach - 1]]
            assert all(rank >= edge for rank in ranked.values())


@pytest.mark.sqlite
def test_the_page_is_ordered_by_the_scores_read_not_by_matching_again(client, stories):
    """SQLite: the story list's own query keeps the ids the index ranked, ordered by their
    scores, without a MATCH (FTS5 answers one for a few ids by matching again for each)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("browse:list"), {"q": "balcony", "country": "IT"})
    assert response.status_code == 200
    listed = [q["sql"] for q in queries.captured_queries if '"stories_story"."title"' in q["sql"]]
    assert listed and all("MATCH" not in sql for sql in listed)
    expected = slow("balcony", factories.country("IT"))
    assert [story.pk for story in response.context["page"].object_list] == expected[:20]


def test_pages_beyond_those_ordered_by_the_scores_read_list_the_same(client, stories, monkeypatch):
    """SQLite orders at most words.ORDERED_AT_MOST ids by the scores it read; a page
    reaching further is ranked by the list's own query, and lists the same stories."""
    monkeypatch.setattr(words, "ORDERED_AT_MOST", 10)
    expected = slow("balcony")
    for number in (1, 2, 3):
        ids, count = listed(client, q="balcony", page=number)
        assert count == len(expected)
        assert ids == expected[(number - 1) * STORIES_PER_PAGE : number * STORIES_PER_PAGE]


@pytest.mark.sqlite
@pytest.mark.parametrize(("reach", "passes"), [(1, 2), (5, 2), (14, 1), (15, 2), (20, 2), (40, 2)])
def test_a_tie_running_past_the_stories_read_is_read_whole(stories, monkeypatch, reach, passes):
    """SQLite reads FTS_TIES stories past the page's reach; when the tie with the reach-th
    runs past them, a second pass reads it whole: the same stories as reading them all at
    once. (Here a tie ends at the 14th story: the one read past it shows so.)"""
    facts.bring_up_to_date()
    term = words.term("balcony")
    whole = search.fts_ranked(term, reach)
    monkeypatch.setattr(search, "FTS_TIES", 1)  # (one past the reach: the least it reads)
    with CaptureQueriesContext(connection) as queries:
        assert search.fts_ranked(term, reach) == whole
    assert len(queries) == passes
    assert set(slow("balcony")[:reach]) <= set(whole)
