"""The sitemap index, its sections and robots.txt (opendata/sitemaps.py)."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from opendata import sitemaps
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def seed_like():
    return factories.seed_like()


def xml_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)


def files_of(client):
    index = xml_of(client, reverse("opendata:sitemap"))
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    return [loc.text.removeprefix("http://testserver") for loc in index.findall(".//sm:loc", NS)]


def addresses(client):
    """{address: lastmod or None} over every file the index names."""
    found = {}
    for url in files_of(client):
        urlset = xml_of(client, url)
        for entry in urlset.findall("sm:url", NS):
            loc = entry.find("sm:loc", NS).text.removeprefix("http://testserver")
            lastmod = entry.find("sm:lastmod", NS)
            assert loc not in found, f"{loc} listed twice"
            found[loc] = lastmod.text if lastmod is not None else None
    return found


def test_the_sitemap_lists_every_public_page_and_nothing_else(client, seed_like):
    hidden_city = factories.city("Atlantis")
    hidden_region = factories.region("Lemuria")
    factories.story(
        "A draft", slug="a-draft", status="draft", cities=[hidden_city], regions=[hidden_region]
    )
    factories.story("Gone", slug="gone", status="withdrawn")
    found = addresses(client)
    stories = {s.get_absolute_url() for s in Story.objects.published()}
    assert stories <= set(found)
    assert {"/", "/stories/", "/cities/", "/timeline/", "/map/"} <= set(found)
    assert {"/cities/florence/", "/cities/madrid/", "/performers/maurizio-marchini/"} <= set(found)
    assert "/on/2020-03-14/" in found
    assert "/stories/a-draft/" not in found and "/stories/gone/" not in found
    assert "/regions/sicily/" in found
    assert "/cities/atlantis/" not in found and "/regions/lemuria/" not in found
    for address in found:  # every address answers
        assert client.get(address).status_code == 200, address


def test_stories_carry_when_they_last_changed(client, seed_like):
    story = seed_like["florence"]
    assert addresses(client)[story.get_absolute_url()] == story.updated_at.date().isoformat()


def test_a_section_longer_than_a_file_is_split_and_indexed(client, seed_like, monkeypatch):
    monkeypatch.setattr(sitemaps.ArchiveSitemap, "limit", 2)
    files = files_of(client)
    published = Story.objects.published().count()  # 6: three files of two
    story_files = [url for url in files if url.startswith("/sitemap-stories.xml")]
    assert (
        story_files
        == [
            "/sitemap-stories.xml",
            "/sitemap-stories.xml?p=2",
            "/sitemap-stories.xml?p=3",
        ][: (published + 1) // 2]
    )
    listed = set()
    for url in story_files:
        entries = xml_of(client, url).findall("sm:url", NS)
        assert len(entries) <= 2
        listed |= {e.find("sm:loc", NS).text for e in entries}
    assert len(listed) == published
    assert client.get("/sitemap-stories.xml?p=9").status_code == 404


def test_the_index_dates_the_stories_section_by_its_newest_change(client, seed_like):
    index = xml_of(client, reverse("opendata:sitemap"))
    entry = next(
        e for e in index.findall("sm:sitemap", NS) if "stories" in e.find("sm:loc", NS).text
    )
    newest = max(s.updated_at for s in Story.objects.published())
    assert entry.find("sm:lastmod", NS).text == newest.isoformat()


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_off_the_downloads(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /stories/export.csv" in lines


def test_unknown_sections_and_pages_are_404s(client, seed_like):
    assert client.get("/sitemap-nothing.xml").status_code == 404
    assert client.get("/sitemap-stories.xml?p=x").status_code == 404
    assert client.get("/sitemap-stories.xml?p=0").status_code == 404
