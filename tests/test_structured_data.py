"""JSON-LD, Open Graph and Twitter tags on the public pages, read back with extruct as a
search engine or a social site would, and checked against what the page shows."""

import datetime

import extruct
import pytest

from stories.models import Performer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_like():
    return factories.seed_like()


def extracted(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    data = extruct.extract(
        html, base_url=f"http://testserver{url}", syntaxes=["json-ld", "opengraph"]
    )
    return html, data


def test_a_story_is_an_event_with_its_dates_places_and_performers(client, seed_like):
    story = seed_like["florence"]
    source = factories.source(
        title="Italians sing from balconies", outlet="The Daily", url="https://news.example/a"
    )
    story.sources.add(source)
    factories.post(
        story,
        platform="twitter",
        url="https://twitter.com/someone/status/1",
        author_name="Some One",
        handle="someone",
        posted_on=datetime.date(2020, 3, 14),
    )
    html, data = extracted(client, story.get_absolute_url())
    (event,) = data["json-ld"]
    assert event["@context"] == "https://schema.org"
    assert event["@type"] == "Event"
    assert event["name"] == story.title and story.title in html
    assert event["url"] == "http://testserver/stories/florence-nessun-dorma/"
    assert event["startDate"] == event["endDate"] == "2020-03-14"
    (place,) = event["location"]
    assert place["@type"] == "Place" and place["name"] == "Florence"
    assert place["address"]["addressCountry"] == "IT"
    assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 43.77925, "longitude": 11.24626}
    assert place["containedInPlace"]["name"] == "Italy"
    (performer,) = event["performer"]
    assert performer == {
        "@type": "Person",
        "name": "Maurizio Marchini",
        "url": "http://testserver/performers/maurizio-marchini/",
        "description": "tenor",
    }
    kinds = {item["@type"]: item for item in event["subjectOf"]}
    assert kinds["SocialMediaPosting"]["url"] == "https://twitter.com/someone/status/1"
    assert kinds["SocialMediaPosting"]["author"]["alternateName"] == "@someone"
    assert kinds["NewsArticle"] == {
        "@type": "NewsArticle",
        "headline": "Italians sing from balconies",
        "url": "https://news.example/a",
        "datePublished": "2020-03-16",
        "publisher": {"@type": "Organization", "name": "The Daily"},
    }


def test_groups_and_crowds_are_performing_groups(client, seed_like):
    _, data = extracted(client, seed_like["turin"].get_absolute_url())
    (performer,) = data["json-ld"][0]["performer"]
    assert Performer.objects.get(name=performer["name"]).kind == "crowd"
    assert performer["@type"] == "PerformingGroup"


def test_a_story_placed_only_in_a_region_names_the_region(client, seed_like):
    _, data = extracted(client, seed_like["sicily"].get_absolute_url())
    (area,) = data["json-ld"][0]["location"]
    assert area["@type"] == "AdministrativeArea" and area["name"] == "Sicily"


def test_an_undated_story_gives_no_dates(client):
    story = factories.story("Undated", cities=[factories.city("Florence")])
    _, data = extracted(client, story.get_absolute_url())
    assert "startDate" not in data["json-ld"][0]


def test_a_city_page_describes_the_place(client, seed_like):
    _, data = extracted(client, "/cities/madrid/")
    (place,) = data["json-ld"]
    assert place["@type"] == "Place" and place["name"] == "Madrid"
    assert place["containedInPlace"] == {"@type": "Country", "name": "Spain", "identifier": "ES"}
    assert place["geo"]["latitude"] == pytest.approx(40.4165)


def test_a_shared_story_link_shows_its_title_and_summary(client, seed_like):
    story = seed_like["florence"]
    html, data = extracted(client, story.get_absolute_url())
    (graph,) = data["opengraph"]
    properties = dict(graph["properties"])
    assert properties["og:title"] == story.title
    assert properties["og:description"] == story.summary
    assert properties["og:type"] == "article"
    assert properties["og:url"] == "http://testserver/stories/florence-nessun-dorma/"
    assert '<meta name="twitter:card" content="summary">' in html


def test_markup_in_a_title_cannot_break_out_of_the_json_ld(client):
    story = factories.story(
        "</script><script>alert(1)</script>", cities=[factories.city("Florence")]
    )
    html, data = extracted(client, story.get_absolute_url())
    assert data["json-ld"][0]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in html


def test_a_preview_of_a_draft_has_no_structured_data(admin_client):
    draft = factories.story("A draft", status="draft", cities=[factories.city("Florence")])
    response = admin_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "application/ld+json" not in response.content.decode()
