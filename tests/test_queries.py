"""Query budgets: list pages run a fixed number of queries, never one per row."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from browse import views
from preservation import files
from stories import facts
from stories.models import LinkedPost
from tests import factories

pytestmark = pytest.mark.django_db

# Uncached: ETag 1, the facet tables' pending notes 1, facets 6 and the names of their
# countries, cities and performers 3, the time budget's transaction (BEGIN and COMMIT, or a
# savepoint) 2 and on PostgreSQL its timeout 1 (3 inside a test's transaction), whether the
# archive is large enough for estimated facets 1 (facts.total: the list's own query, with
# words and two named filters, could be estimated), count 1, page 1, prefetched places and
# performers 4, and one lookup each for the city, country and performer named in the
# filters 3.
FACET_QUERIES = 6 + 3 + 2 + (3 if connection.vendor == "postgresql" else 0) + 1
LIST_BUDGET = 1 + 1 + FACET_QUERIES + 1 + 1 + 4 + 3
# On PostgreSQL a search also counts the published stories its index still lacks (after a
# bulk load), cached like the facets.
UNSEARCHABLE_COUNT = 1 if connection.vendor == "postgresql" else 0
ALL_FILTERS = (
    "?city=florence&city=turin&country=IT&kind=music&performer=maurizio-marchini"
    "&platform=twitter&date_after=2020-03-01&date_before=2020-03-31&q=balcony&sort=title"
)
# The posted and captured dates: through the list's own query (EXISTS), not the facet rows.
OTHER_DATES = (
    "?country=IT&posted_after=2020-03-01&posted_before=2020-03-31"
    "&captured_after=2020-03-01&captured_before=2026-12-31"
)


@pytest.fixture(autouse=True)
def sixty_stories():
    # Florence in a region, so the region's page lists 60 stories and a city.
    cities = [factories.city(region=factories.region("Tuscany")), factories.city("Turin")]
    singer = factories.performer()
    for number in range(60):
        story = factories.story(
            f"Balcony song {number}",
            day=datetime.date(2020, 3, 1 + number % 28),
            kind="music",
            cities=cities,
            performers=[singer, factories.performer(f"Neighbour {number}")],
            summary="Singing from a balcony.",
        )
        factories.post(story, url=f"https://twitter.com/n/status/{number}", text="balcony")
    facts.bring_up_to_date()  # the facet tables count them once, before any page is timed


def queries(client, url, per_page, monkeypatch):
    """Queries of an uncached request (facet counts are cached between requests)."""
    cache.clear()
    facts.bring_up_to_date()  # once after the fixture's writes, not per page
    monkeypatch.setattr(views, "STORIES_PER_PAGE", per_page)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", ALL_FILTERS], ids=["unfiltered", "all-filters"])
def test_list_runs_the_same_queries_at_1_and_50_stories_per_page(client, monkeypatch, query):
    url = reverse("browse:list") + query
    one = queries(client, url, 1, monkeypatch)
    fifty = queries(client, url, 50, monkeypatch)
    assert one == fifty


@pytest.mark.parametrize("query", ["", ALL_FILTERS], ids=["unfiltered", "all-filters"])
def test_list_stays_within_its_query_budget(
    client, monkeypatch, django_assert_max_num_queries, query
):
    monkeypatch.setattr(views, "STORIES_PER_PAGE", 50)
    budget = LIST_BUDGET + (UNSEARCHABLE_COUNT if "q=" in query else 0)
    with django_assert_max_num_queries(budget):
        assert client.get(reverse("browse:list") + query).status_code == 200


@pytest.fixture
def posted_and_captured():
    """Every story's post dated and captured in March 2020."""
    LinkedPost.objects.update(posted_on=datetime.date(2020, 3, 15))
    for post in LinkedPost.objects.all():
        files.new_copy(
            post,
            kind="capture",
            data=f"WARC/1.1 {post.pk}".encode(),
            media_type="application/warc",
            original_url=post.url,
            captured_by="capture_posts",
            captured_at=timezone.make_aware(datetime.datetime(2020, 3, 20, 12)),
        )
    facts.bring_up_to_date()


def test_list_filtered_by_the_other_dates_runs_the_same_queries_at_1_and_50_stories(
    client, monkeypatch, posted_and_captured
):
    url = reverse("browse:list") + OTHER_DATES
    assert queries(client, url, 1, monkeypatch) == queries(client, url, 50, monkeypatch)


def test_list_filtered_by_the_other_dates_stays_within_its_query_budget(
    client, monkeypatch, django_assert_max_num_queries, posted_and_captured
):
    monkeypatch.setattr(views, "STORIES_PER_PAGE", 50)
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("browse:list") + OTHER_DATES)
    assert len(response.context["stories"]) == 50


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        (reverse("browse:home"), 10),
        # ETag, pending notes, city totals, the cities, the regions with their totals.
        (reverse("browse:cities"), 5),
        # ETag, the region, pending notes, its total, the date the page reaches, its stories
        # and their places and performers (5), its cities with their totals.
        (reverse("browse:region", args=["tuscany"]), 11),
        # ETag, the city or performer, pending notes, its total, the date the page reaches
        # (it has more stories than a page: browse/facets.py, reaching), its stories and
        # their places and performers (5).
        (reverse("browse:city", args=["florence"]), 10),
        (reverse("browse:performer", args=["maurizio-marchini"]), 10),
        # ETag, pending notes, the day's total, its stories and their places and performers
        # (5), the days before and after.
        ("/on/2020-03-14/", 9),
        (reverse("browse:timeline"), 4),
        # ETag, pending notes, city counts and their cities, country counts and their codes,
        # the stories not on the map.
        (reverse("browse:map"), 7),
    ],
)
def test_page_stays_within_its_query_budget(client, django_assert_max_num_queries, url, budget):
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "budget"),
    [
        # ETag 1, the city or performer through its gate 1 (the gate is an EXISTS in it).
        (reverse("browse:city", args=["hiddenville"]), 404, 2),
        (reverse("browse:performer", args=["secret-singer"]), 404, 2),
        # ETag 1, the named rows through their gates 1 each; nothing else runs on a 400.
        (reverse("browse:list") + "?city=hiddenville&performer=secret-singer", 400, 3),
        (reverse("browse:timeline") + "?performer=secret-singer", 400, 2),
        (reverse("browse:map") + "?city=hiddenville", 400, 2),
    ],
)
def test_hidden_place_or_performer_costs_one_query_through_its_gate(
    client, django_assert_max_num_queries, url, status, budget
):
    factories.story(
        "Draft",
        status="draft",
        cities=[factories.city("Hiddenville")],
        performers=[factories.performer("Secret Singer")],
    )
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == status


def test_story_page_stays_within_its_query_budget(client, django_assert_max_num_queries):
    story = factories.story("Many posts", day=datetime.date(2020, 3, 2), cities=[])
    for number in range(10):
        post = factories.post(story, url=f"https://twitter.com/m/status/{number}")
        files.new_copy(
            post,
            kind="capture",
            data=f"WARC {number}".encode(),
            media_type="application/warc",
            original_url=post.url,
            captured_by="capture_posts",
            captured_at=timezone.now(),
        )
    # 14, and one for the posts' archived copies however many posts and copies (their
    # latest link checks come with the posts, as a subquery).
    with django_assert_max_num_queries(15):
        assert client.get(story.get_absolute_url()).status_code == 200


def test_another_page_of_the_same_list_reuses_the_cached_counts(client, monkeypatch):
    url = reverse("browse:list") + ALL_FILTERS
    first = queries(client, url, 20, monkeypatch)
    with CaptureQueriesContext(connection) as again:
        assert client.get(url + "&page=1").status_code == 200
    # No facet or count queries (FACET_QUERIES, and the count).
    assert len(again) == first - FACET_QUERIES - 1 - UNSEARCHABLE_COUNT


def test_repeated_request_reads_only_the_revision_and_renders_nothing(client, monkeypatch):
    url = reverse("browse:list") + ALL_FILTERS
    queries(client, url, 20, monkeypatch)
    first = client.get(url)
    with CaptureQueriesContext(connection) as again:
        repeated = client.get(url)
    assert [query["sql"] for query in again] == [
        "SELECT number FROM stories_archive_revision WHERE id = 1"
    ]
    assert repeated.templates == []  # served whole from the cache
    assert repeated.content == first.content
    assert repeated["ETag"] == first["ETag"]


def test_a_story_page_reads_its_related_stories_places_with_its_own(
    client, django_assert_max_num_queries
):
    """The related stories' places and performers come in the same round of queries as the
    story's own: not four more queries for them."""
    florence = factories.city("Florence")
    story = factories.story("Aria", day=datetime.date(2020, 3, 14), cities=[florence])
    for number in range(8):
        factories.story(f"Chorus {number}", day=datetime.date(2020, 3, 14), cities=[florence])
    facts.bring_up_to_date()  # (as an earlier request would have)
    with django_assert_max_num_queries(15):  # 18 when they came in a round of their own
        page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    related = page.context["related"]
    assert len(related) == 6
    assert all(other.cities.all()[0].country.name for other in related)  # (prefetched)
