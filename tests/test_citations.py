"""Citing a story: the text on its page and the BibTeX, RIS and CSL-JSON downloads, parsed
back with the libraries reference managers use."""

import datetime
import json

import bibtexparser
import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

URL = "http://testserver/stories/florence-nessun-dorma/"


@pytest.fixture
def story():
    return factories.seed_like()["florence"]


def download(client, story, extension):
    response = client.get(f"{story.get_absolute_url()}cite.{extension}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="florence-nessun-dorma.{extension}"'
    )
    return response


def test_the_page_says_how_to_cite_the_story(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    start = html.index('<section class="cite"')
    section = html[start : html.index("</section>", start)]
    assert "Cite this story" in section
    assert f"“{story.title}.”" in section
    assert "<cite>Lockdown Solidarity Archive</cite>" in section
    assert '<time datetime="2020-03-14">14 March 2020</time>' in section
    assert URL in section
    assert f'datetime="{timezone.now().date().isoformat()}"' in section  # accessed today
    for extension in ("bib", "ris", "json"):
        assert f'href="/stories/florence-nessun-dorma/cite.{extension}" download' in section


def test_bibtex_parses_back_with_the_story(client, story):
    text = download(client, story, "bib").content.decode()
    (entry,) = bibtexparser.loads(text).entries
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["title"] == "{" + story.title + "}"
    assert entry["url"] == URL
    assert entry["urldate"] == timezone.now().date().isoformat()
    assert entry["year"] == str(story.published_at.year)
    assert entry["note"] == "Event of 14 March 2020"


def test_bibtex_escapes_what_latex_would_read_as_commands(client):
    story = factories.story("50% of a #1 {hit} & more_", day=datetime.date(2020, 3, 14))
    text = client.get(f"{story.get_absolute_url()}cite.bib").content.decode()
    (entry,) = bibtexparser.loads(text).entries
    assert entry["title"] == r"{50\% of a \#1 \{hit\} \& more\_}"


def test_ris_parses_back_with_the_story(client, story):
    (entry,) = rispy.loads(download(client, story, "ris").content.decode())
    assert entry["type_of_reference"] == "ELEC"
    assert entry["title"] == story.title
    assert entry["urls"] == [URL]
    assert entry["date"] == "2020/03/14"
    assert entry["access_date"] == timezone.now().strftime("%Y/%m/%d")
    assert entry["keywords"] == ["Music", "Florence"]


def test_csl_json_formats_as_a_bibliography_entry(client, story):
    response = download(client, story, "json")
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    items = json.loads(response.content)
    assert items[0]["event-date"] == {"date-parts": [[2020, 3, 14], [2020, 3, 14]]}
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(Citation([CitationItem(story.slug)]))
    (reference,) = [str(item) for item in bibliography.bibliography()]
    assert story.title in reference
    assert "Lockdown Solidarity Archive" in reference
    assert URL in reference


def test_only_published_stories_can_be_cited(client):
    draft = factories.story("A draft", slug="a-draft", status="draft")
    gone = factories.story("Gone", slug="gone", status="withdrawn")
    for story in (draft, gone):
        assert client.get(f"{story.get_absolute_url()}cite.bib").status_code == 404


def test_a_citation_changes_its_etag_with_the_day(client, story, monkeypatch):
    from opendata import citations

    first = download(client, story, "ris")["ETag"]
    monkeypatch.setattr(citations, "today", lambda: datetime.date(2030, 1, 1))
    second = download(client, story, "ris")
    assert second["ETag"] != first
    assert "Y2  - 2030/01/01" in second.content.decode()
