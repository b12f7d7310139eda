"""OAI-PMH 2.0 at /oai/ (opendata/oai.py): each verb, each protocol error that can arise,
deleted records, resumption tokens that survive changes, and a whole harvest by Sickle, the
OAI-PMH client, against a live server."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from sickle import Sickle

from opendata import oai
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

NS = {"o": oai.OAI, "oai_dc": oai.OAI_DC, "dc": oai.DC}
PREFIX = "oai:lockdown-solidarity-archive:"


def settled():
    """Dates every story a minute back: a harvest covers changes up to the second of its
    first request, so what was saved in that second waits for the next harvest."""
    Story.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=1))


@pytest.fixture
def seed_like():
    stories = factories.seed_like()
    settled()
    for story in stories.values():
        story.refresh_from_db()
    return stories


def ask(client, method="get", **arguments):
    response = getattr(client, method)("/oai/", arguments)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{oai.OAI}}}OAI-PMH"
    schema_location = root.get(f"{{{oai.XSI}}}schemaLocation")
    assert schema_location == f"{oai.OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    response_date, request = root[0], root[1]
    assert response_date.tag == f"{{{oai.OAI}}}responseDate"
    datetime.datetime.strptime(response_date.text, "%Y-%m-%dT%H:%M:%SZ")
    assert request.tag == f"{{{oai.OAI}}}request"
    assert request.text == "http://testserver/oai/"
    assert len(root) == 3, "a response holds one answer or one error"
    return root


def error_of(root):
    error = root.find("o:error", NS)
    return None if error is None else error.get("code")


def identifiers(root, path="o:ListIdentifiers/o:header"):
    return [header.find("o:identifier", NS).text for header in root.findall(path, NS)]


def test_identify_describes_the_repository(client, seed_like, settings):
    settings.ARCHIVE_CONTACT_EMAIL = "editors@archive.example"
    identify = ask(client, verb="Identify").find("o:Identify", NS)
    assert [child.tag.split("}")[1] for child in identify] == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
    ]
    assert identify.find("o:protocolVersion", NS).text == "2.0"
    assert identify.find("o:adminEmail", NS).text == "editors@archive.example"
    assert identify.find("o:deletedRecord", NS).text == "persistent"
    assert identify.find("o:granularity", NS).text == "YYYY-MM-DDThh:mm:ssZ"
    earliest = min(s.updated_at for s in Story.objects.all())
    assert identify.find("o:earliestDatestamp", NS).text == oai.utc(earliest)


def test_the_one_metadata_format_is_dublin_core(client, seed_like):
    root = ask(client, verb="ListMetadataFormats")
    (found,) = root.findall("o:ListMetadataFormats/o:metadataFormat", NS)
    assert found.find("o:metadataPrefix", NS).text == "oai_dc"
    assert found.find("o:metadataNamespace", NS).text == oai.OAI_DC


def test_sets_are_the_countries_and_kinds_of_published_stories(client, seed_like):
    factories.story("Hidden", status="draft", cities=[factories.city("Lisbon", "PT")])
    settled()
    root = ask(client, verb="ListSets")
    specs = [s.find("o:setSpec", NS).text for s in root.findall("o:ListSets/o:set", NS)]
    assert {"country", "kind", "country:IT", "country:ES", "kind:music"} <= set(specs)
    assert "country:PT" not in specs  # only a draft is there


def test_a_record_is_dublin_core_with_the_storys_facts(client, seed_like):
    story = seed_like["spain"]
    story.performers.set([factories.performer("Residents of Madrid", kind="crowd")])
    root = ask(
        client,
        verb="GetRecord",
        metadataPrefix="oai_dc",
        identifier=PREFIX + "madrid-granada-applause",
    )
    record = root.find("o:GetRecord/o:record", NS)
    header = record.find("o:header", NS)
    assert header.find("o:datestamp", NS).text == oai.utc(story.updated_at)
    assert [s.text for s in header.findall("o:setSpec", NS)] == ["kind:applause", "country:ES"]
    dc = record.find("o:metadata/oai_dc:dc", NS)

    def values(tag):
        return [element.text for element in dc.findall(f"dc:{tag}", NS)]

    assert values("title") == [story.title]
    assert values("date") == ["2020-03-14/2020-03-15"]
    assert values("type") == ["Event"]
    assert values("identifier") == ["http://testserver/stories/madrid-granada-applause/"]
    assert values("coverage") == ["Granada, ES", "Madrid, ES", "Spain"]
    assert values("creator") == ["Residents of Madrid"]
    assert values("language") == ["en"]
    assert values("publisher") == ["Lockdown Solidarity Archive"]


def test_a_withdrawn_story_is_a_deleted_record_and_a_draft_is_nothing(client, seed_like):
    story = seed_like["florence"]
    story.status = Story.Status.WITHDRAWN
    story.save()
    factories.story("Never published", slug="never-published", status="draft")
    settled()
    root = ask(client, verb="ListRecords", metadataPrefix="oai_dc")
    records = root.findall("o:ListRecords/o:record", NS)
    by_identifier = {r.find("o:header/o:identifier", NS).text: r for r in records}
    deleted = by_identifier[PREFIX + "florence-nessun-dorma"]
    assert deleted.find("o:header", NS).get("status") == "deleted"
    assert deleted.find("o:metadata", NS) is None
    assert PREFIX + "never-published" not in by_identifier
    answer = ask(
        client, verb="GetRecord", metadataPrefix="oai_dc", identifier=PREFIX + "never-published"
    )
    assert error_of(answer) == "idDoesNotExist"
    answer = ask(client, verb="ListMetadataFormats", identifier=PREFIX + "florence-nessun-dorma")
    assert error_of(answer) == "noMetadataFormats"


def test_from_until_and_set_select_records(client, seed_like):
    old = timezone.now() - datetime.timedelta(days=30)
    Story.objects.filter(pk=seed_like["turin"].pk).update(updated_at=old)
    day = old.date().isoformat()
    root = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=day)
    assert identifiers(root) == [PREFIX + "turin-balcony-concert"]
    later = (old + datetime.timedelta(days=1)).date().isoformat()
    root = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": later})
    assert PREFIX + "turin-balcony-concert" not in identifiers(root)
    root = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="country:ES")
    assert identifiers(root) == [PREFIX + "madrid-granada-applause"]
    root = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:music")
    assert len(identifiers(root)) == 2


def test_a_list_is_cut_into_pages_with_a_resumption_token(client, seed_like, monkeypatch):
    monkeypatch.setattr(oai, "IDENTIFIERS_PER_RESPONSE", 4)
    first = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert token.text and token.get("cursor") == "0"
    second = ask(client, verb="ListIdentifiers", resumptionToken=token.text)
    last_token = second.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert last_token.text is None and last_token.get("cursor") == "4"  # the end: empty
    harvested = identifiers(first) + identifiers(second)
    assert sorted(harvested) == sorted(PREFIX + s.slug for s in Story.objects.published())


def test_a_token_stays_valid_while_the_archive_changes(client, seed_like, monkeypatch):
    monkeypatch.setattr(oai, "IDENTIFIERS_PER_RESPONSE", 3)
    first = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find("o:ListIdentifiers/o:resumptionToken", NS).text
    seen = identifiers(first)
    # Meanwhile: a story already harvested changes, one not yet harvested is withdrawn,
    # and a new one is published.
    changed = Story.objects.get(slug=seen[0].removeprefix(PREFIX))
    changed.title += " (corrected)"
    changed.save()
    factories.story("Published meanwhile", slug="published-meanwhile")
    rest = []
    while token:
        page = ask(client, verb="ListIdentifiers", resumptionToken=token)
        assert error_of(page) is None
        rest += identifiers(page)
        token = page.find("o:ListIdentifiers/o:resumptionToken", NS).text
    harvested = seen + rest
    assert len(harvested) == len(set(harvested)), "a record came twice"
    assert PREFIX + "published-meanwhile" not in harvested  # the next harvest's
    assert len(harvested) == 6


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "set": "kind"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-13-01"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2020-01-01",
                "until": "2021-01-01T00:00:00Z",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "planet:mars"}, "badArgument"),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "GetRecord", "identifier": PREFIX + "florence-nessun-dorma"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": PREFIX + "nothing"},
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "urn:isbn:1"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2019-01-01"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": PREFIX + "nothing"},
            "idDoesNotExist",
        ),
    ],
)
def test_each_protocol_error_is_answered_with_its_code(client, seed_like, arguments, code):
    root = ask(client, **arguments)
    assert error_of(root) == code
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}


def test_a_token_for_one_verb_is_refused_by_another(client, seed_like, monkeypatch):
    monkeypatch.setattr(oai, "IDENTIFIERS_PER_RESPONSE", 2)
    page = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = page.find("o:ListIdentifiers/o:resumptionToken", NS).text
    assert error_of(ask(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


def test_post_is_answered_as_get(client, seed_like):
    root = ask(client, method="post", verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(identifiers(root)) == 6


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_every_published_story_exactly_once(live_server, monkeypatch):
    factories.seed_like()
    for number in range(7):
        factories.story(f"More {number}", slug=f"more-{number}", kind="music")
    for status in ("draft", "review"):
        factories.story(f"Hidden {status}", slug=f"hidden-{status}", status=status)
    gone = factories.story("Gone", slug="gone", status="withdrawn")
    settled()
    monkeypatch.setattr(oai, "RECORDS_PER_RESPONSE", 4)  # four pages of records
    sickle = Sickle(f"{live_server.url}/oai/", max_retries=0)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    live = [r for r in records if not r.deleted]
    published = {PREFIX + slug for slug in Story.objects.published().values_list("slug", flat=True)}
    assert sorted(r.header.identifier for r in live) == sorted(published)
    assert [r.header.identifier for r in records if r.deleted] == [PREFIX + gone.slug]
    florence = next(r for r in live if r.header.identifier.endswith("florence-nessun-dorma"))
    assert florence.metadata["title"] == [Story.objects.get(slug="florence-nessun-dorma").title]
    assert {s.setSpec for s in sickle.ListSets()} >= {"country:IT", "country:ES", "kind:music"}
    assert sickle.Identify().repositoryName == "Lockdown Solidarity Archive"
    music = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="kind:music"))
    assert len(music) == Story.objects.published().filter(kind="music").count()


def test_a_deleted_record_names_no_place_only_its_story_links(client, seed_like):
    atlantis = factories.city("Atlantis", "QZ")
    gone = factories.story("Gone", slug="gone", status="withdrawn", cities=[atlantis])
    settled()
    root = ask(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=PREFIX + "gone")
    header = root.find("o:GetRecord/o:record/o:header", NS)
    assert header.get("status") == "deleted"
    assert [s.text for s in header.findall("o:setSpec", NS)] == [f"kind:{gone.kind}"]
    assert b"Atlantis" not in client.get("/oai/", {"verb": "ListSets"}).content


def test_arguments_with_control_characters_give_well_formed_xml(client, seed_like):
    root = ask(client, verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:\x00x:\x01")
    assert error_of(root) == "idDoesNotExist"
    assert error_of(ask(client, verb="\x00")) == "badVerb"
