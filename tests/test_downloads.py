"""CSV and JSON downloads of the story list's views (opendata/downloads.py)."""

import csv
import io
import json
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opendata.records import COLUMNS
from stories.models import Story
from tests import factories
from tests.listing import listed_slugs

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_like():
    return factories.seed_like()


def csv_rows(client, query=""):
    response = client.get(reverse("opendata:stories-csv") + query)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def json_download(client, query=""):
    response = client.get(reverse("opendata:stories-json") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.parametrize(
    "query",
    ["", "?country=IT", "?kind=music", "?city=madrid&city=granada", "?sort=title", "?q=balcony"],
)
def test_a_download_holds_the_stories_of_the_view_in_its_order(client, seed_like, query):
    listed = listed_slugs(client, query)
    assert listed, "the view lists nothing: the comparison would mean nothing"
    assert [row["slug"] for row in csv_rows(client, query)] == listed
    assert [story["slug"] for story in json_download(client, query)["stories"]] == listed


def test_unpublished_stories_are_in_no_download(client, seed_like):
    for status in ("draft", "review", "withdrawn"):
        factories.story(f"Hidden {status}", slug=f"hidden-{status}", status=status)
    slugs = {row["slug"] for row in csv_rows(client)}
    assert slugs == set(Story.objects.published().values_list("slug", flat=True))
    assert not any(s["slug"].startswith("hidden") for s in json_download(client)["stories"])


def test_the_csv_has_the_documented_columns_in_order(client, seed_like, settings):
    response = client.get(reverse("opendata:stories-csv"))
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [name.removeprefix("\ufeff") for name in header] == list(COLUMNS)
    documented = (settings.BASE_DIR / "docs" / "opendata.md").read_text()
    for name in COLUMNS:
        assert f"| `{name}` |" in documented, f"docs/opendata.md does not describe {name}"


def test_a_row_flattens_places_performers_posts_and_sources(client, seed_like):
    story = seed_like["florence"]
    story.posts.all().delete()
    factories.post(story, platform="twitter", url="https://twitter.com/a/status/1")
    factories.post(story, platform="youtube", url="https://www.youtube.com/watch?v=x")
    story.cities.add(factories.city("Prato", latitude="43.88", longitude="11.10"))
    row = next(r for r in csv_rows(client) if r["slug"] == story.slug)
    assert row["url"] == "http://testserver/stories/florence-nessun-dorma/"
    assert row["title"] == story.title
    assert row["start_date"] == row["end_date"] == "2020-03-14"
    assert row["kind"] == "music"
    assert row["countries"] == "IT"
    assert row["cities"].splitlines() == ["Florence", "Prato"]
    assert row["city_urls"].splitlines() == [
        "http://testserver/cities/florence/",
        "http://testserver/cities/prato/",
    ]
    assert row["coordinates"].splitlines() == ["43.77925,11.24626", "43.88,11.1"]
    assert row["performers"] == "Maurizio Marchini"
    assert row["posts"].splitlines() == [
        "https://twitter.com/a/status/1",
        "https://www.youtube.com/watch?v=x",
    ]
    assert row["post_platforms"].splitlines() == ["twitter", "youtube"]


def test_the_json_story_carries_the_same_facts_nested(client, seed_like):
    document = json_download(client, "?city=florence")
    assert document["view"] == "http://testserver/stories/?city=florence"
    assert "creativecommons.org" in document["licence"]["url"]
    (story,) = document["stories"]
    assert story["cities"][0]["name"] == "Florence"
    assert story["cities"][0]["latitude"] == pytest.approx(43.77925)
    assert story["performers"][0] == {
        "name": "Maurizio Marchini",
        "url": "http://testserver/performers/maurizio-marchini/",
        "kind": "individual",
        "role": "tenor",
        "identified": True,
    }
    assert story["countries"] == [{"code": "IT", "name": "Italy"}]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(client, seed_like):
    Story.objects.filter(pk=seed_like["florence"].pk).update(title="=HYPERLINK(1)")
    row = next(r for r in csv_rows(client) if r["slug"] == "florence-nessun-dorma")
    assert row["title"] == "'=HYPERLINK(1)"


def test_the_file_name_says_what_was_filtered(client, seed_like):
    response = client.get(reverse("opendata:stories-csv") + "?kind=music&country=IT")
    assert response["Content-Disposition"] == (
        'attachment; filename="lockdown-archive-stories-country-it-kind-music.csv"'
    )
    response = client.get(reverse("opendata:stories-json"))
    assert response["Content-Disposition"] == 'attachment; filename="lockdown-archive-stories.json"'


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?city=atlantis", "city"),
        ("?date_after=2020-02-30", "date_after"),
        ("?kind=opera", "kind"),
        ("?sort=sideways", "sort"),
        ("?date_after=2020-04-01&date_before=2020-03-01", "date_before"),
    ],
)
def test_bad_filters_give_a_400_naming_the_field_in_each_format(client, seed_like, query, field):
    response = client.get(reverse("opendata:stories-csv") + query)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")
    response = client.get(reverse("opendata:stories-json") + query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_list_page_links_its_downloads_with_its_filters(client, seed_like):
    html = client.get(reverse("browse:list") + "?kind=music").content.decode()
    assert 'href="/stories/export.csv?kind=music" download' in html
    assert 'href="/stories/export.json?kind=music" download' in html


def test_downloads_are_cacheable_and_revalidated(client, seed_like):
    response = client.get(reverse("opendata:stories-csv"))
    assert "public" in response["Cache-Control"]
    again = client.get(reverse("opendata:stories-csv"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_download_reads_a_fixed_number_of_queries_per_chunk(client, seed_like, settings):
    """Chunks of CHUNK stories, each with its links in one query per relation: the number of
    queries grows with the chunks, not with the stories."""
    from opendata import downloads

    for number in range(30):
        factories.story(f"More {number}", cities=[seed_like["florence"].cities.first()])

    def count(chunk):
        downloads.CHUNK = chunk
        try:
            with CaptureQueriesContext(connection) as queries:
                rows = csv_rows(client)
        finally:
            downloads.CHUNK = 500
        return len(rows), len(queries)

    stories, whole = count(500)
    assert stories == Story.objects.published().count()
    _, in_tens = count(10)  # 4 chunks instead of 1: 3 more rounds of the same queries
    per_chunk = (in_tens - whole) / 3
    # The stories, their cities, regions, countries, performers, posts, sources, and the
    # posts' public copies.
    assert per_chunk == 8
    assert whole <= 13


def test_memory_does_not_grow_with_the_stories(client, seed_like):
    """The stream holds one chunk at a time: four times the stories, about the same peak."""
    from opendata import downloads

    def add(count):
        for number in range(count):
            factories.story(f"More {number}", body="x" * 20_000)

    def peak():
        tracemalloc.start()
        try:
            response = client.get(reverse("opendata:stories-csv"))
            for _ in response.streaming_content:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    downloads.CHUNK = 10
    try:
        add(30)
        peak()  # (warms up what a first request loads once)
        fewer = peak()
        add(90)
        more = peak()
    finally:
        downloads.CHUNK = 500
    assert more < fewer * 1.5, (fewer, more)
