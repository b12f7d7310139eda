"""The story list: the columns curators scan, its filters and search, a fixed query budget."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:stories_story_changelist")


def many_stories(count, first=0):
    cities = [factories.city("Florence"), factories.city("Turin")]
    performer = factories.performer("Maurizio Marchini")
    for n in range(first, first + count):
        story = factories.story(
            f"Story {n}",
            day=datetime.date(2020, 3, 1 + n % 28),
            cities=cities,
            performers=[performer],
            sources=[factories.source()],
        )
        factories.post(story, url=f"https://twitter.com/a/{n}")


def queries_for_list(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_story_list_makes_as_many_queries_for_100_stories_as_for_5(admin_client):
    many_stories(5)
    five = queries_for_list(admin_client)
    many_stories(95, first=5)
    assert Story.objects.count() == 100
    assert queries_for_list(admin_client) == five


def test_story_list_fits_its_query_budget(admin_client, django_assert_max_num_queries):
    many_stories(100)
    with django_assert_max_num_queries(16):
        admin_client.get(CHANGELIST)


def test_story_list_shows_places_performers_and_post_count(admin_client):
    many_stories(1)
    row = admin_client.get(CHANGELIST).text
    assert "Florence, Turin" in row
    assert "Maurizio Marchini" in row
    assert '<td class="field-post_count">1</td>' in row


@pytest.fixture
def florence_and_granada():
    florence = factories.story(
        "Aria in Florence",
        kind=Story.Kind.MUSIC,
        day=datetime.date(2020, 3, 14),
        cities=[factories.city("Florence", "IT")],
        performers=[factories.performer("Maurizio Marchini")],
    )
    factories.post(florence, handle="MuhammadLila", url="https://twitter.com/MuhammadLila/1")
    factories.story(
        "Applause in Granada",
        kind=Story.Kind.APPLAUSE,
        status=Story.Status.DRAFT,
        start=datetime.date(2020, 3, 31),
        end=datetime.date(2020, 4, 1),
        cities=[factories.city("Granada", "ES")],
    )


@pytest.mark.parametrize(
    "query",
    [
        {"status__exact": "published"},
        {"kind__exact": "music"},
        {"country": "IT"},
        {"city": "florence"},
        {"q": "Marchini"},
        {"q": "@MuhammadLila"},
        {"q": "twitter.com/MuhammadLila"},
    ],
)
def test_filters_and_search_keep_florence_and_drop_granada(
    admin_client, florence_and_granada, query
):
    page = admin_client.get(CHANGELIST, query).text
    assert "Aria in Florence" in page
    assert "Applause in Granada" not in page


def test_a_region_places_a_story_in_its_country(admin_client):
    factories.story("DJ in Sicily", regions=[factories.region("Sicily", "IT")])
    factories.story("Applause in Granada", cities=[factories.city("Granada", "ES")])
    page = admin_client.get(CHANGELIST, {"country": "IT"}).text
    assert "DJ in Sicily" in page
    assert "Applause in Granada" not in page


def test_month_filter_keeps_stories_overlapping_the_month(admin_client, florence_and_granada):
    page = admin_client.get(CHANGELIST, {"month": "2020-04"}).text
    assert "Applause in Granada" in page
    assert "Aria in Florence" not in page


def test_month_filter_finds_stories_with_unknown_date(admin_client):
    factories.story("The rooftop trainer")
    factories.story("Dated", day=datetime.date(2020, 3, 14))
    page = admin_client.get(CHANGELIST, {"month": "unknown"}).text
    assert "The rooftop trainer" in page
    assert "Dated" not in page


def test_story_add_form_prepopulates_the_slug_and_offers_autocomplete(admin_client):
    page = admin_client.get(reverse("admin:stories_story_add")).text
    assert "data-prepopulated-fields=" in page and "#id_slug" in page
    for field in ("cities", "regions", "countries", "performers", "sources"):
        assert re.search(f'<select name="{field}"[^>]*class="admin-autocomplete"', page)
