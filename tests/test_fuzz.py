"""Fuzzing the public URLs: whatever the query string or path, never a 5xx, and a 400 names
the field that was wrong.

Hypothesis draws, with a fixed seed (`derandomize`), 2,000 query strings for every public
URL that reads one and 500 garbage path segments for every route with a parameter, over the
seed fixture plus stories at the edges of the calendar and one in each unpublished status.
A failure prints the URL (and Hypothesis shrinks it to a short one first); rerunning the
test reproduces it, since the examples depend on nothing but this file.
"""

import datetime
import json
import os
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, quote_plus

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browse.filters import MAX_PAGE, SORTS
from stories.models import City, LinkedPost, Performer, Story
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# The figures, which CI runs in full: 2,000 query strings per URL and 500 path
# segments per route (every valid query renders a whole page, so this is the slow part of the
# suite; `pytest -n auto` shares its ten tests among the cores). FUZZ_QUERIES and
# FUZZ_SEGMENTS are for a quicker local run only; .ci/run does not set them.
QUERIES_PER_URL = int(os.environ.get("FUZZ_QUERIES", 2_000))
SEGMENTS_PER_ROUTE = int(os.environ.get("FUZZ_SEGMENTS", 500))

fuzz = settings(
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    database=None,  # nothing kept between runs, so nothing but this file decides them
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SEED_CITIES = ["florence", "turin", "palermo", "madrid", "granada"]
SEED_PERFORMERS = ["maurizio-marchini", "residents-of-madrid", "unidentified-dj-palermo"]
SEED_STORIES = ["florence-nessun-dorma", "turin-balcony-concert", "sicily-dj-party"]
HIDDEN = ["draft-only-city", "draft-only-performer", "fuzz-draft", "fuzz-withdrawn"]
EDGE_DATES = ["0001-01-01", "0001-01-02", "0001-12-31", "9999-12-30", "9999-12-31"]

# Values that have broken parsers before: numbers out of every range, encodings, markup,
# SQL and full-text query syntax, control characters, very long text.
GARBAGE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\n\r",
    "x" * 10_000,
    "é",
    "Ⅻ",
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "🙂",
    "\u202eevil",
    "' OR 1=1 --",
    "1; DROP TABLE stories_story; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "%00",
    "%",
    "../../etc/passwd",
    "9" * 400,
    "-" + "9" * 40,
    "1e309",
    "NaN",
    "inf",
    "-0",
    "0x10",
    "2020-03-14T00:00:00",
    "2020-02-30",
    "0000-00-00",
    "10000-01-01",
    "-2020-03-14",
    "2020/03/14",
    "14/03/2020",
    "!:* & | <-> (",
    '"unbalanced',
    "a" * 201,
]

VALID = {
    "city": [*SEED_CITIES, "Florence", " FLORENCE ", "draft-only-city"],
    "country": ["IT", "ES", "it", "es", "ZZ", "ITA"],
    "kind": [value for value, _ in Story.Kind.choices],
    "performer": [*SEED_PERFORMERS, "draft-only-performer"],
    "platform": [value for value, _ in LinkedPost.Platform.choices],
    "date_after": ["2020-03-14", "2020-03-01", "2020-12-31", *EDGE_DATES],
    "date_before": ["2020-03-14", "2020-03-15", "2020-01-01", *EDGE_DATES],
    "q": ["balcony", "nessun dorma", "dj OR music", "-applause", "marchini*", "turin balcony"],
    "sort": [*SORTS, "-title", "date,title"],
    "page": ["1", "2", "0", "-1", str(MAX_PAGE), str(MAX_PAGE + 1), "1.5", " 1 ", "٢"],
}
PARAMETERS = list(VALID)

# Query-string fragments an encoder would never write.
RAW_FRAGMENTS = [
    "%",
    "%Z",
    "%ZZ=1",
    "page=%FF",
    "city=%C0%80",
    "q=%ED%A0%80",  # an encoded UTF-16 surrogate
    "=",
    "==",
    "&",
    "page",
    "page=",
    "page=1=2",
    "page=%31",
    "page=+1",
    "q=%00",
    "city%00=florence",
    "city[]=florence",
    "CITY=florence",
    ";",
    "+",
    "#",
    "sort=-date;page=2",
]


# The strategies are built once, here, and drawn from for every example: building them
# afresh inside each draw cost as much CPU as running the requests. The draws are the same,
# in the same order, so the same examples come.
VALUES = st.one_of(
    st.sampled_from(GARBAGE),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(datetime.date.isoformat),
)
NAMES = st.one_of(
    st.sampled_from(PARAMETERS),
    st.sampled_from(["utm_source", "format", "lang", "callback", "p", "Page"]),
    st.text(max_size=12),
)
KNOWN_NAMES = st.sampled_from(PARAMETERS)
COIN = st.booleans()
VALID_VALUES = {name: st.sampled_from(values) for name, values in VALID.items()}
# `city` accepts at most 20 values; a name given up to 30 times goes past it.
REPEATS = st.integers(min_value=2, max_value=30)
REPEATED_VALUES = {name: st.sampled_from(values + GARBAGE[:5]) for name, values in VALID.items()}
ENCODINGS = st.sampled_from(["form", "form", "quote", "raw"])


@st.composite
def parameter(draw):
    """One `name=value` pair, usually a known name; values valid as often as not."""
    name = draw(NAMES)
    valid = name in VALID and draw(COIN)
    return [(name, draw(VALID_VALUES[name] if valid else VALUES))]


@st.composite
def repeated(draw):
    """One known name given many times (`city` accepts at most 20)."""
    name = draw(KNOWN_NAMES)
    count = draw(REPEATS)
    pool = REPEATED_VALUES[name]
    return [(name, draw(pool)) for _ in range(count)]


def encoded(pairs, how):
    """The pairs as a query string: percent-encoded as a form would, as `quote` would, or
    raw (UTF-8 bytes unencoded, as some clients send them)."""
    if how == "form":
        return "&".join(f"{quote_plus(n)}={quote_plus(v)}" for n, v in pairs)
    if how == "quote":
        return "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
    return "&".join(f"{n}={v}" for n, v in pairs)


PARTS = st.lists(
    st.one_of(
        parameter().map(lambda pairs: ("pairs", pairs)),
        repeated().map(lambda pairs: ("pairs", pairs)),
        st.sampled_from(RAW_FRAGMENTS).map(lambda raw: ("raw", raw)),
    ),
    max_size=6,
)


@st.composite
def query_strings(draw):
    """A whole query string, as the bytes the server received (decoded as WSGI does)."""
    parts = draw(PARTS)
    how = draw(ENCODINGS)
    pieces = [encoded(part, how) if kind == "pairs" else part for kind, part in parts]
    return "&".join(pieces).encode("utf-8", "surrogatepass").decode("latin-1")


QUERY_STRINGS = query_strings()


def segments(examples):
    """A path segment: known slugs or dates, garbage, or any text, percent-encoded."""
    text = st.one_of(
        st.sampled_from(examples),
        st.sampled_from(GARBAGE),
        st.text(min_size=1, max_size=60),
        st.from_regex(r"[-a-zA-Z0-9_]{1,80}", fullmatch=True),
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
        st.dates().map(datetime.date.isoformat),
    )
    return text.filter(bool).map(lambda segment: quote(segment, safe=""))


@pytest.fixture
def archive():
    """The seed fixture; a story in each unpublished status, one of them the only story of
    a city and a performer; and stories at the first and last day the database accepts."""
    call_command("loaddata", "seed", verbosity=0)
    hidden_city = factories.city("Draft-only city", slug="draft-only-city")
    hidden_performer = factories.performer("Draft-only performer", slug="draft-only-performer")
    for status in (Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN):
        factories.story(
            f"Fuzz {status}",
            slug=f"fuzz-{status}",
            day="2020-03-14",
            status=status,
            cities=[hidden_city],
            performers=[hidden_performer],
        )
    florence = City.objects.get(slug="florence")
    marchini = Performer.objects.get(slug="maurizio-marchini")
    for day in (datetime.date.min, datetime.date.max):
        # Issue 10 gives story dates a range as a database constraint; until then the
        # calendar's own edges are stored, and every page must tolerate them.
        try:
            with transaction.atomic():
                factories.story(f"At {day}", day=day, cities=[florence], performers=[marchini])
        except IntegrityError:
            pass


@pytest.fixture
def client():
    """A 500 is returned, not raised, so that the failure names the URL that gave it (the
    traceback is in the captured log)."""
    return Client(raise_request_exception=False)


ERROR_ID = re.compile(r'\bid="error_(\w+)"')


def named_fields(response):
    """The query parameters a 400 names: the form's error ids on a page, the `field:` lines
    of a CSV download's or a feed's, the keys of the JSON download's or the API's."""
    content_type = response.get("Content-Type", "")
    body = response.content.decode()
    if content_type.startswith("text/html"):
        return set(ERROR_ID.findall(body))
    if content_type.startswith("text/plain"):
        return {line.split(":", 1)[0] for line in body.splitlines() if ":" in line}
    found = json.loads(body)
    return set(found.get("errors", found))


def check(client, path, query=""):
    """Fails, naming the URL, on a 5xx or on a 400 that names no field it was given."""
    url = f"{path}?{query}" if query else path
    response = client.get(path, QUERY_STRING=query)
    status = response.status_code
    if response.streaming:  # (a download: read to its end, as a client would)
        b"".join(response.streaming_content)
    assert status < 500, f"{status} for GET {url!r}"
    if status == 400:
        named = named_fields(response)
        given_names = set(QueryDict(query.encode("latin-1")))
        assert named, f"400 naming no field for GET {url!r}"
        assert named <= given_names, f"400 naming {named} for GET {url!r}"
    return status


# Every public address that reads the story list's filters (issue 12's downloads, feed and
# API among them).
LIST_PAGES = [
    "/stories/",
    "/timeline/",
    "/map/",
    "/stories/export.csv",
    "/stories/export.json",
    "/feed/",
    "/api/stories/",
]
PAGED = ["/cities/florence/", "/performers/maurizio-marchini/", "/on/2020-03-14/"]


@pytest.mark.parametrize("path", LIST_PAGES + PAGED)
def test_no_query_string_gives_a_5xx_and_each_400_names_the_field(client, archive, path):
    statuses = []

    @settings(fuzz, max_examples=QUERIES_PER_URL)
    @given(query=QUERY_STRINGS)
    def request(query):
        statuses.append(check(client, path, query))

    request()
    assert len(statuses) >= QUERIES_PER_URL
    # The examples reach the page itself, not only its error page.
    assert statuses.count(200) > QUERIES_PER_URL // 20
    assert 400 in statuses


ROUTES = {
    "/stories/{}/": SEED_STORIES + HIDDEN,
    "/cities/{}/": SEED_CITIES + HIDDEN,
    "/performers/{}/": SEED_PERFORMERS + HIDDEN,
    "/on/{}/": ["2020-03-14", "2020-02-30", *EDGE_DATES, "0000-01-01"],
    "/stories/{}/cite.bib": SEED_STORIES + HIDDEN,
    "/api/stories/{}/": SEED_STORIES + HIDDEN,
    "/api/cities/{}/": SEED_CITIES + HIDDEN,
    "/api/performers/{}/": SEED_PERFORMERS + HIDDEN,
    "/api/countries/{}/": ["IT", "ES", "it", "XX", "ITA"],
    "/sitemap-{}.xml": ["stories", "cities", "days", "pages"],
}
SEGMENTS = {route: segments(examples) for route, examples in ROUTES.items()}


@pytest.mark.parametrize("route", list(ROUTES))
def test_no_path_segment_gives_a_5xx(client, archive, route):
    statuses = []

    @settings(fuzz, max_examples=SEGMENTS_PER_ROUTE)
    @given(segment=SEGMENTS[route])
    def request(segment):
        statuses.append(check(client, route.format(segment)))

    request()
    assert len(statuses) >= SEGMENTS_PER_ROUTE
    assert 200 in statuses


# OAI-PMH (issue 12): whatever the arguments, a 200 with the protocol's XML, never a 5xx.
OAI_VALID = {
    "verb": [
        "Identify",
        "ListMetadataFormats",
        "ListSets",
        "ListIdentifiers",
        "ListRecords",
        "GetRecord",
        "listrecords",
        "ListRecords ",
    ],
    "metadataPrefix": ["oai_dc", "oai_dc", "marc21", ""],
    "identifier": [
        "oai:lockdown-solidarity-archive:florence-nessun-dorma",
        "oai:lockdown-solidarity-archive:fuzz-withdrawn",
        "oai:lockdown-solidarity-archive:fuzz-draft",
        "oai:lockdown-solidarity-archive:",
        "oai:other:florence-nessun-dorma",
    ],
    "from": ["2020-01-01", "2020-01-01T00:00:00Z", "2020-02-30", "0001-01-01", "9999-12-31"],
    "until": ["2030-01-01", "2030-01-01T00:00:00Z", "2020-01-01T25:00:00Z", "9999-12-31"],
    "set": ["country", "kind", "country:IT", "kind:music", "country:", "planet:mars"],
    "resumptionToken": ["", "x", "eyJ2ZXJiIjoiTGlzdFJlY29yZHMifQ:1abc:sig"],
}
OAI_NAMES = st.one_of(st.sampled_from(list(OAI_VALID)), st.text(max_size=12))
OAI_VALUES = {name: st.sampled_from(values) for name, values in OAI_VALID.items()}


@st.composite
def oai_pair(draw):
    name = draw(OAI_NAMES)
    valid = name in OAI_VALID and draw(COIN)
    return (name, draw(OAI_VALUES[name] if valid else VALUES))


OAI_QUERIES = st.builds(
    lambda pairs, how: encoded(pairs, how).encode("utf-8", "surrogatepass").decode("latin-1"),
    st.lists(oai_pair(), max_size=5),
    ENCODINGS,
)


def test_no_oai_request_gives_a_5xx_or_anything_but_the_protocols_xml(client, archive):
    codes = []

    @settings(fuzz, max_examples=QUERIES_PER_URL)
    @given(query=OAI_QUERIES)
    def request(query):
        response = client.get("/oai/", QUERY_STRING=query)
        assert response.status_code == 200, f"{response.status_code} for /oai/?{query!r}"
        root = ET.fromstring(response.content)
        assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH", query
        error = root.find("{http://www.openarchives.org/OAI/2.0/}error")
        codes.append(error.get("code") if error is not None else "answer")

    request()
    assert "answer" in codes and "badVerb" in codes and "badArgument" in codes
