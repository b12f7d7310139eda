"""Atom feeds (opendata/feeds.py), read back with feedparser as a subscriber's reader would."""

import datetime

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from opendata import feeds
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_like():
    return factories.seed_like()


def parsed(client, query=""):
    response = client.get(reverse("opendata:feed") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_feed_lists_published_stories_newest_in_the_archive_first(client, seed_like):
    now = timezone.now()
    old_event = factories.story(
        "An early act published today", day=datetime.date(2020, 3, 9), published_at=now
    )
    Story.objects.exclude(pk=old_event.pk).update(published_at=now - datetime.timedelta(days=3))
    feed = parsed(client)
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "An early act published today"  # newest published, not newest event
    assert len(titles) == Story.objects.published().count()


def test_unpublished_stories_are_in_no_feed(client, seed_like):
    for status in ("draft", "review", "withdrawn"):
        factories.story(f"Hidden {status}", status=status, cities=[factories.city("Florence")])
    for query in ("", "?city=florence", "?country=IT"):
        assert not [e for e in parsed(client, query).entries if e.title.startswith("Hidden")]


def test_a_feed_holds_at_most_its_length(client, seed_like, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_LENGTH", 2)
    assert len(parsed(client).entries) == 2


def test_an_entry_has_a_permanent_id_dates_places_and_categories(client, seed_like):
    entry = parsed(client, "?city=florence").entries[0]
    assert entry.id == "http://testserver/stories/florence-nessun-dorma/"
    assert entry.link == entry.id
    assert entry.summary.startswith("14 March 2020 · Florence, Italy. ")
    assert {tag.term for tag in entry.tags} == {"Music", "Italy", "Florence"}
    story = seed_like["florence"]
    assert entry.published_parsed[:6] == story.published_at.utctimetuple()[:6]
    assert entry.updated_parsed[:6] == story.updated_at.utctimetuple()[:6]


@pytest.mark.parametrize(
    ("query", "kept", "left_out", "title"),
    [
        ("?city=florence", "Maurizio Marchini", "Turin", "Florence"),
        ("?country=ES", "Madrid and Granada", "Florence", "Spain"),
        ("?kind=music", "Turin", "DJ", "Music"),
    ],
)
def test_a_view_has_its_own_feed(client, seed_like, query, kept, left_out, title):
    feed = parsed(client, query)
    titles = " | ".join(entry.title for entry in feed.entries)
    assert kept in titles
    assert left_out not in titles
    assert feed.feed.title.endswith(title)
    assert feed.feed.link == f"http://testserver/stories/{query}"


def test_a_feed_with_bad_filters_is_a_400_naming_the_field(client, seed_like):
    response = client.get(reverse("opendata:feed") + "?city=atlantis")
    assert response.status_code == 400
    assert response.content.decode() == "city: The archive has no city “atlantis”.\n"


def test_an_empty_feed_is_the_same_on_every_request(client, seed_like):
    first = client.get(reverse("opendata:feed") + "?q=nothingmatchesthis").content
    assert b"<entry>" not in first
    assert client.get(reverse("opendata:feed") + "?q=nothingmatchesthis").content == first


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/feed/"),
        ("/stories/", "/feed/"),
        ("/stories/?kind=music", "/feed/?kind=music"),
        ("/cities/florence/", "/feed/?city=florence"),
        ("/performers/maurizio-marchini/", "/feed/?performer=maurizio-marchini"),
    ],
)
def test_pages_name_their_feed(client, seed_like, page, feed):
    html = client.get(page).content.decode()
    assert 'type="application/atom+xml"' in html
    assert f'href="{feed}"' in html
    assert parsed(client, feed.removeprefix("/feed/"))


def test_words_with_control_characters_give_a_well_formed_feed(client, seed_like):
    feed = parsed(client, "?q=%01balcony%0B")
    assert feed.feed.title.endswith("“balcony”")
