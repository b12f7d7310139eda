"""Facet counts estimated on the fixed sample of stories (stories/sample.py,
browse/facets.py): marked "about", scaled right, only values surely near the top shown,
nothing unpublished, and the sample read through its own partial indexes."""

import re

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone

from browse import facets
from browse.filters import filter_stories
from stories import sample, search
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

IN_SAMPLE = [34, 89, 123, 65536 + 34]  # sample.contains() is true of these ids...
OUT_OF_SAMPLE = [33, 35, 90, 65536 + 35]  # ...and false of these


def test_the_sample_is_two_percent_of_any_run_of_ids():
    """Stories written together (a bulk load, a busy week) have consecutive ids: the sample
    takes the same share of every run of them, not all or none."""
    assert sum(sample.contains(n) for n in range(65536)) == 1311
    for start in range(1, 300_000, 997):
        assert 90 <= sum(sample.contains(n) for n in range(start, start + 5000)) <= 110


def test_the_database_and_python_agree_on_the_sample():
    assert all(sample.contains(n) for n in IN_SAMPLE)
    assert not any(sample.contains(n) for n in OUT_OF_SAMPLE)
    for number in IN_SAMPLE + OUT_OF_SAMPLE:
        factories.story(f"Story {number}", id=number)
    in_database = Story.objects.filter(sample.in_sample()).values_list("pk", sample.bucket())
    assert sorted(in_database) == [(n, n % 65536 * 40503 % 65536) for n in IN_SAMPLE]
    smaller = Story.objects.filter(sample.in_sample(below=500)).values_list("pk", flat=True)
    assert sorted(smaller) == [n for n in IN_SAMPLE if sample.contains(n, below=500)]
    assert 0 < len(smaller) < len(IN_SAMPLE)


def archive_of(count):
    """`count` published stories written in one statement ("Balcony aria" in each), and
    fresh statistics: the planner then chooses between indexes by what it knows of the table,
    as at scale. On a handful of rows every plan costs about the same, and which one wins
    turns on how many pages earlier tests' rolled-back rows left in the table files."""
    published_at = timezone.now()
    Story.objects.bulk_create(
        Story(
            title=f"Balcony aria {number}",
            slug=f"balcony-aria-{number}",
            status=Story.Status.PUBLISHED,
            published_at=published_at,
        )
        for number in range(1, count + 1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stories_story")


def plan(queryset):
    """EXPLAIN, with the table read whole only if no index answers the query."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.postgres
def test_the_sample_of_published_stories_is_read_from_its_index():
    archive_of(4000)
    published = Story.objects.published()
    everyone = published.filter(sample.in_sample()).order_by().values("pk")
    assert re.search(r"\bstories_story_sample\b", plan(everyone))
    smaller = published.filter(sample.in_sample(below=100)).order_by().values("pk")
    assert re.search(r"\bstories_story_sample\b", plan(smaller))


@pytest.mark.postgres
def test_the_samples_matches_for_words_are_read_from_its_indexes():
    """At a million stories the planner reads stories_story_search_sample (docs/scaling.md);
    at a few thousand, either of the sample's indexes: both say the sample as the query
    does. Without them it would read every match of the word, or the whole table."""
    archive_of(4000)
    words = search.matching(Story.objects.published(), "balcony").filter(sample.in_sample())
    assert re.search(r"\bstories_story_(search_)?sample\b", plan(words.order_by().values("pk")))


def sampled_by(monkeypatch, condition):
    """Estimate every facet through the list's own query, on the sample `condition` says."""
    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", 0)
    monkeypatch.setattr(
        facets, "in_sample", lambda below=None: RawSQL(condition, [], output_field=BooleanField())
    )


def test_estimated_counts_are_scaled_up_and_marked_about(client, monkeypatch):
    """Half the stories in the sample: each count on it is doubled, and says "about"."""
    florence, turin = factories.city("Florence"), factories.city("Turin")
    for number in range(1, 9):
        factories.story(f"Balcony aria {number}", id=number, cities=[florence], kind="music")
    for number in (9, 10):
        factories.story(f"Balcony aria {number}", id=number, cities=[turin], kind="music")
    sampled_by(monkeypatch, 'MOD("stories_story"."id", 2) = 0')
    page = client.get("/stories/?q=balcony")
    assert page.status_code == 200
    assert "<strong>10 stories</strong>" in page.text  # the total stays exact
    cities = {value.label: value.count_text for value in page.context["by_name"]["city"].values}
    # Florence: 4 of its 8 stories in the sample, Turin 1 of 2; 5 of 10 in all.
    assert cities == {"Florence, IT": "about 8", "Turin, IT": "about 2"}
    assert "Estimated from a sample of the archive" in page.text
    assert '<span class="count">about 8</span>' in page.text


def test_the_selected_value_shows_the_lists_exact_total(client, monkeypatch):
    """Of the stories the other filters keep, those of the selected kind are the list: its
    count is the list's total, exact, whatever the sample says."""
    for number in range(1, 8):
        factories.story(f"Balcony aria {number}", id=number, kind="music")
    factories.story("Balcony clapping", id=8, kind="applause")
    sampled_by(monkeypatch, 'MOD("stories_story"."id", 2) = 0')
    page = client.get("/stories/?q=balcony&kind=music")
    kinds = {v.key: (v.count_text, v.active) for v in page.context["by_name"]["kind"].values}
    # 3 of the 7 music stories in the sample (2, 4, 6) would say "about 6".
    assert kinds["music"] == ("7", True)
    assert kinds["applause"] == ("about 2", False)


def test_an_estimate_over_every_story_equals_the_exact_count(client, monkeypatch):
    florence = factories.city("Florence")
    for number in range(3):
        factories.story(f"Balcony aria {number}", cities=[florence])
    factories.story("Another song", cities=[florence])
    url = "/stories/?q=balcony"
    exact = client.get(url).context["by_name"]
    sampled_by(monkeypatch, "1 = 1")
    estimated = client.get(url + "&sort=title").context["by_name"]
    assert not any(facet.estimated for facet in exact.values())
    assert all(facet.estimated for facet in estimated.values())
    for name, facet in exact.items():
        assert [(v.key, v.count) for v in estimated[name].values] == [
            (v.key, v.count) for v in facet.values
        ]


def test_an_estimate_names_no_unpublished_story_or_place(client, monkeypatch):
    factories.story("Balcony aria", cities=[factories.city("Florence")])
    factories.story("Balcony draft", status="draft", cities=[factories.city("Hiddenville")])
    factories.story("Balcony gone", status="withdrawn", cities=[factories.city("Gonetown")])
    sampled_by(monkeypatch, "1 = 1")
    page = client.get("/stories/?q=balcony")
    assert page.context["by_name"]["city"].estimated
    assert "Hiddenville" not in page.text
    assert "Gonetown" not in page.text
    assert "Florence" in page.text


def test_only_values_surely_among_the_busiest_are_shown():
    """Three cities far ahead, then nine the sample cannot tell apart: only the three are
    shown as links; the others are offered as typed suggestions, with their estimates."""
    counts = [1000, 900, 800, 110, 108, 106, 104, 102, 100, 98, 96, 94]
    rows = [(f"city-{n}", f"City {n}", count) for n, count in enumerate(counts)]
    filterset = filter_stories(QueryDict("q=balcony"))
    assert filterset.is_valid()
    links = facets.Links(QueryDict("q=balcony"))
    city = next(spec for spec in facets.FACETS if spec.name == "city")
    facet = facets.estimated_facet(city, filterset, links, rows, 50.0)
    assert [(v.key, v.count_text) for v in facet.shown] == [
        ("city-0", "about 50,000"),
        ("city-1", "about 45,000"),
        ("city-2", "about 40,000"),
    ]
    assert facet.total == 12
    assert 'value="city-11" label="City 11 (about 4,700)"' in facet.suggestions


def test_a_facet_with_room_for_every_value_shows_each():
    rows = [("music", "Music", 3), ("applause", "Applause", 1)]
    filterset = filter_stories(QueryDict("q=balcony"))
    assert filterset.is_valid()
    links = facets.Links(QueryDict("q=balcony"))
    kind = next(spec for spec in facets.FACETS if spec.name == "kind")
    facet = facets.estimated_facet(kind, filterset, links, rows, 2.0)
    assert [(v.key, v.count, v.count_text) for v in facet.shown] == [
        ("music", 6, "about 6"),
        ("applause", 2, "about 2"),
    ]
