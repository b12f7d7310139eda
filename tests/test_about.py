"""The archive's own page: what it is, how it checks, whom to ask, its open data."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_about_explains_the_archive_and_links_every_open_data_door(client):
    response = client.get("/about/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Editors write down only what the source states" in " ".join(html.split())
    assert "Corrections and takedown requests" in html
    assert 'rel="license"' in html
    for name in (
        "opendata:stories-csv",
        "opendata:stories-json",
        "opendata:feed",
        "opendata:sitemap",
    ):
        assert f'href="{reverse(name)}"' in html


def test_about_gives_the_contact_address_when_set(client, settings):
    settings.ARCHIVE_CONTACT_EMAIL = "editors@archive.example"
    html = client.get("/about/").content.decode()
    assert 'href="mailto:editors@archive.example"' in html


def test_without_an_address_about_says_so(client, settings):
    settings.ARCHIVE_CONTACT_EMAIL = ""
    html = client.get("/about/").content.decode()
    assert "has not published a contact address yet" in html
    assert "mailto:" not in html


def test_every_page_links_about_from_the_menu(client):
    assert 'href="/about/"' in client.get("/").content.decode()
