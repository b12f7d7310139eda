"""The JSON API (opendata/api.py): the list's filters and 400s, cursor pages, the public
gates, caching and the rate limit."""

import pytest
from django.core.cache import cache

from stories.models import Story
from tests import factories
from tests.listing import listed_slugs

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_like():
    return factories.seed_like()


def get(client, url, status=200, content_type="application/json"):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == content_type
    return response.json()


def every_page(client, url):
    """The objects of every page, following `next`, and the number of pages."""
    found, pages = [], 0
    while url:
        page = get(client, url)
        found += page["results"]
        pages += 1
        url = page["next"]
    return found, pages


def test_the_root_names_every_collection(client):
    root = get(client, "/api/")
    assert set(root) == {"stories", "cities", "countries", "performers", "schema"}
    assert root["stories"] == "http://testserver/api/stories/"


@pytest.mark.parametrize(
    "query", ["", "?country=IT", "?kind=music", "?sort=title", "?sort=date", "?q=balcony"]
)
def test_stories_come_in_the_lists_order_across_cursor_pages(client, seed_like, query):
    factories.story("Undated one", cities=[factories.city("Florence")], kind="music")
    factories.story("Undated two", cities=[factories.city("Turin")], kind="music")
    separator = "&" if query else "?"
    stories, pages = every_page(client, f"/api/stories/{query}{separator}page_size=2")
    listed = listed_slugs(client, query)
    assert [story["slug"] for story in stories] == listed
    assert pages == max(1, -(-len(listed) // 2))
    assert get(client, f"/api/stories/{query}")["count"] == len(listed)


def test_a_story_carries_its_public_address_and_links(client, seed_like):
    story = get(client, "/api/stories/florence-nessun-dorma/")
    assert story["url"] == "http://testserver/stories/florence-nessun-dorma/"
    assert story["cities"][0]["url"] == "http://testserver/cities/florence/"
    assert story["performers"][0]["name"] == "Maurizio Marchini"
    assert story["countries"] == [{"code": "IT", "name": "Italy"}]


def test_the_api_gives_the_lists_400s_naming_the_field(client, seed_like):
    assert get(client, "/api/stories/?city=atlantis", 400) == {
        "city": ["The archive has no city “atlantis”."]
    }
    assert "date_after" in get(client, "/api/stories/?date_after=2020-02-30", 400)
    assert "sort" in get(client, "/api/stories/?sort=sideways", 400)
    assert "page_size" in get(client, "/api/stories/?page_size=500", 400)
    # Found by schemathesis: a superscript digit passed str.isdigit() and int() raised (500).
    assert "page_size" in get(client, "/api/countries/?page_size=%C2%B3", 400)
    assert "page_size" in get(client, "/api/cities/?page_size=%D9%A3", 400)  # Arabic-Indic 3
    assert "cursor" in get(client, "/api/stories/?cursor=not-a-cursor", 400)
    assert "cursor" in get(client, "/api/stories/?cursor=eyJ4IjoxfQ", 400)  # {"x":1}
    assert "cursor" in get(client, "/api/cities/?cursor=eyJhZnRlciI6MX0", 400)  # {"after":1}


def test_unpublished_stories_and_what_only_they_link_are_not_in_the_api(client, seed_like):
    atlantis = factories.city("Atlantis", "ES")
    ghost = factories.performer("Ghost Singer")
    for status in ("draft", "review", "withdrawn"):
        factories.story(
            f"Hidden {status}",
            slug=f"hidden-{status}",
            status=status,
            cities=[atlantis],
            performers=[ghost],
        )
    slugs = {story["slug"] for story in every_page(client, "/api/stories/")[0]}
    assert slugs == set(Story.objects.published().values_list("slug", flat=True))
    assert "atlantis" not in {c["slug"] for c in every_page(client, "/api/cities/")[0]}
    performers = every_page(client, "/api/performers/")[0]
    assert "ghost-singer" not in {p["slug"] for p in performers}
    get(client, "/api/stories/hidden-draft/", 404)
    get(client, "/api/stories/hidden-withdrawn/", 404)
    get(client, "/api/cities/atlantis/", 404)
    get(client, "/api/performers/ghost-singer/", 404)


def test_places_and_performers_carry_their_counts_and_stories(client, seed_like):
    italy = get(client, "/api/countries/it/")
    assert italy["stories"] == 4
    assert italy["stories_url"] == "http://testserver/api/stories/?country=IT"
    assert italy["url"] == "http://testserver/stories/?country=IT"
    assert get(client, italy["stories_url"])["count"] == 4
    madrid = get(client, "/api/cities/madrid/")
    assert (madrid["country"], madrid["stories"]) == ("ES", 1)
    cities, pages = every_page(client, "/api/cities/?page_size=2")
    assert [city["slug"] for city in cities] == sorted(city["slug"] for city in cities)
    assert len(cities) == 5 and pages == 3


def test_answers_are_public_cacheable_and_revalidated(client, seed_like):
    response = client.get("/api/stories/")
    assert "public" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert client.get("/api/stories/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_withdrawal_leaves_the_api_on_the_next_request(client, seed_like):
    assert get(client, "/api/stories/florence-nessun-dorma/")["slug"]
    assert get(client, "/api/countries/IT/")["stories"] == 4
    seed_like["florence"].status = Story.Status.WITHDRAWN
    seed_like["florence"].save()
    get(client, "/api/stories/florence-nessun-dorma/", 404)
    assert get(client, "/api/countries/IT/")["stories"] == 3
    get(client, "/api/cities/florence/", 404)


def test_the_rate_limit_answers_429_with_retry_after(client, seed_like, settings):
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    statuses = [client.get("/api/stories/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/stories/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "try again" in response.json()["detail"]
    other = client.get("/api/stories/", REMOTE_ADDR="192.0.2.9")  # another address
    assert other.status_code == 200


def test_the_schema_is_openapi_3_and_names_every_endpoint(client):
    schema = get(client, "/api/schema/", content_type="application/vnd.oai.openapi+json")
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/",
        "/api/stories/",
        "/api/stories/{slug}/",
        "/api/cities/",
        "/api/cities/{slug}/",
        "/api/countries/",
        "/api/countries/{code}/",
        "/api/performers/",
        "/api/performers/{slug}/",
    }
    parameters = {p["name"] for p in schema["paths"]["/api/stories/"]["get"]["parameters"]}
    filters = {"city", "country", "kind", "performer", "platform", "date_after", "date_before"}
    assert filters | {"q", "sort", "cursor", "page_size"} <= parameters


@pytest.mark.parametrize("code", ["%00", "ITA", "1T", "%C3%89S"])
def test_a_country_address_that_is_no_code_is_a_404(client, seed_like, code):
    assert get(client, f"/api/countries/{code}/", 404) == {"detail": "No such country."}
