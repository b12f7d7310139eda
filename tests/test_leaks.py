"""The leak test: nothing of a story that is not published reaches a public surface.

One story in each unpublished state (a draft, one in review, a withdrawn one, and a draft
that was published once and reopened) carries unique marker words in every text field: of
the story, of its own city, region, country (one no published story has), performer, source
and post, and of a second city in a country the public does see. Around them stands the
seed-like published archive. Then every public surface is asked, and every response (body
and headers) searched for the markers: there must be none.

The surfaces are found, not listed, so that what later issues add is covered without
editing this file:

- a crawl from `/` (and from each route of the public URLconf that takes no parameter, and
  from WELL_KNOWN_PATHS) following every same-site link, in HTML attributes, in headers
  (`Link`, `Location`) and in the text of other formats (XML sitemaps, feeds, JSON);
- every route of the public URLconf (all of `archive.urls` but the admin) filled with the
  hidden rows' keys (slugs, codes, ids, days) wherever its converters accept them;
- every parameterless route with each of the story list's filters that names a row (city,
  country, performer, and any such filter added later) set to each hidden row's key, and
  `q` set to the marker word of each text a search could index (WORDS_SEARCHED).

A published story also holds a hidden post (an editor hid it: a takedown request) with its
copy and check, its texts marked the same way: the post must be nowhere either, its words
must find nothing, its copy's address must answer as for a missing one.

Where a key is in the URL, the page must answer exactly as for a key that does not exist
(same status, same headers, same body but for the key itself): a visitor must not be able
to tell a hidden city from a missing one. The one difference by design: a withdrawn story's
own address answers 410 (see test_story_visibility.py).
"""

import csv
import datetime
import io
import itertools
import re
import string
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone

from browse.filters import NaturalKeyFilter, StoryFilter
from preservation import files
from preservation.models import ArchivedCopy, LinkCheck
from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story
from tests import factories

pytestmark = pytest.mark.django_db

MARK = "qzleak"  # every marker word starts with it; nothing else in the archive does
# ISO 3166-1 keeps QM to QZ and XA to XZ for private use: no real country has these codes.
HIDDEN_CODES = {"draft": "QM", "review": "QN", "withdrawn": "QP", "reopened": "QR"}
CONTROL_CODES = [f"X{letter}" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
HIDDEN_POST = "post"  # the marker words of the hidden post of a published story
MARKERS = re.compile(rf"{MARK}[a-z]*|\b(?:{'|'.join(HIDDEN_CODES.values())})\b", re.IGNORECASE)

# Where a later issue's feed, export, API, sitemap or OAI-PMH endpoint may live. Routes in the
# URLconf are found by themselves; these catch what is served some other way (a middleware,
# a static file, a catch-all route).
WELL_KNOWN_PATHS = [
    "/robots.txt",
    "/sitemap.xml",
    "/sitemap-index.xml",
    "/feed/",
    "/feeds/",
    "/rss/",
    "/atom/",
    "/stories/feed/",
    "/api/",
    "/api/stories/",
    "/opendata/",
    "/export/",
    "/stories.csv",
    "/stories.json",
    "/oai/",
    "/oai-pmh/",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc",
    "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
    "/healthz",
    "/humans.txt",
    "/.well-known/security.txt",
]
# Query strings tried on every parameterless route: the download formats a later issue may
# offer on the same addresses.
FORMAT_QUERIES = ["", "format=json", "format=csv", "format=rss", "format=atom"]
NOT_PUBLIC = ("/admin/", "/static/")
# The hidden rows get ids of their own, so that an id in a URL or a page is never mistaken
# for another number; the control id names no row.
HIDDEN_IDS = itertools.count(9_100_001)
CONTROL_ID = 9_900_001
MAX_PAGES = 600  # the crawl's bound: it must end before it (the seed-like site needs ~140)
QUERIES_PER_PATH = 25  # query strings followed per path: facet links combine without end

# The marker words given as `q`: the text of every hidden row that a search could index
# (slugs and web addresses are left out: `q` over all 130 words takes minutes on SQLite).
WORDS_SEARCHED = [
    "title",
    "summary",
    "body",
    "curatornotes",
    "cityname",
    "neighbourname",
    "regionname",
    "countryname",
    "performername",
    "performerrole",
    "sourcetitle",
    "sourceoutlet",
    "sourceexcerpt",
    "posttext",
    "author",
    "handle",
    "reach",
]

# Headers that differ between two requests whatever they ask for.
UNSTABLE_HEADERS = {"date", "expires", "last-modified", "content-length"}
NONCE = re.compile(r"nonce-[A-Za-z0-9+/=_-]+|nonce=\"[^\"]*\"")


class Hidden:
    """The unpublished stories and everything only they link, with the keys a URL could use
    to name each of them."""

    def __init__(self):
        self.stories = {}
        self.keys = []  # (kind, value): a slug, code, id or day a route or filter might take

    def word(self, state, field):
        return f"{MARK}{state}{field}"

    def add(self, state, status, day, reopened=False):
        def w(field):
            return self.word(state, field)

        code = HIDDEN_CODES[state]
        country = Country.objects.create(
            id=next(HIDDEN_IDS), code=code, name=w("countryname").title()
        )
        region = Region.objects.create(
            id=next(HIDDEN_IDS), name=w("regionname").title(), slug=w("region"), country=country
        )
        own = City.objects.create(
            id=next(HIDDEN_IDS),
            name=w("cityname").title(),
            slug=w("city"),
            country=country,
            region=region,
            latitude="44.10000",
            longitude="12.10000",
        )
        # A hidden city in a country the public sees (Italy, from the seed-like stories).
        neighbour = City.objects.create(
            id=next(HIDDEN_IDS),
            name=w("neighbourname").title(),
            slug=w("neighbour"),
            country=Country.objects.get(code="IT"),
            region=Region.objects.get(slug="sicily"),
            latitude="37.50000",
            longitude="14.00000",
        )
        performer = factories.performer(
            w("performername").title(),
            id=next(HIDDEN_IDS),
            slug=w("performer"),
            role=w("performerrole"),
        )
        source = factories.source(
            id=next(HIDDEN_IDS),
            slug=w("source"),
            title=w("sourcetitle"),
            outlet=w("sourceoutlet"),
            url=f"https://{w('sourcehost')}.example/{w('sourcepath')}",
            excerpt=w("sourceexcerpt"),
        )
        fields = {"published_at": timezone.now()} if reopened else {}
        story = factories.story(
            w("title").title(),
            id=next(HIDDEN_IDS),
            slug=w("story"),
            status=status,
            day=day,
            summary=w("summary"),
            body=f"The {w('body')} in full, with [a link](https://{w('bodylink')}.example/).",
            curator_notes=w("curatornotes"),
            cities=[own, neighbour],
            regions=[region],
            countries=[country],
            performers=[performer],
            sources=[source],
            **fields,
        )
        post = factories.post(
            story,
            id=next(HIDDEN_IDS),
            url=f"https://twitter.com/{w('handle')}/status/1{day:%Y%m%d}",
            author_name=w("author").title(),
            handle=w("handle"),
            text=w("posttext"),
            media_url=f"https://pic.twitter.com/{w('media')}",
            reach=w("reach"),
            reach_count=123_456_789,
        )
        # What the archive keeps of the post: a copy (its bytes carry a marker) and a check.
        copy = files.new_copy(
            post,
            kind="capture",
            data=w("copybytes").encode(),
            media_type="application/warc",
            original_url=post.url,
            captured_by="capture_posts",
            captured_at=timezone.now(),
        )
        ArchivedCopy.objects.filter(pk=copy.pk).update(id=next(HIDDEN_IDS))
        copy = ArchivedCopy.objects.get(post=post)
        LinkCheck.objects.create(
            post=post,
            role="post",
            url=post.url,
            status="gone",
            checked_at=timezone.now(),
            checked_by="check_links",
        )
        self.stories[state] = story
        self.keys += [
            ("slug", story.slug),
            ("slug", own.slug),
            ("slug", neighbour.slug),
            ("slug", region.slug),
            ("slug", performer.slug),
            ("slug", source.slug),
            ("code", code),
            ("day", day.isoformat()),
        ]
        self.keys += [("id", str(obj.pk)) for obj in (story, own, neighbour, region, performer)]
        self.keys += [("id", str(obj.pk)) for obj in (country, source, post, copy)]

    def add_hidden_post(self, story):
        """A post of the published `story`, hidden by an editor, with a copy and a check."""
        state = HIDDEN_POST

        def w(field):
            return self.word(state, field)

        post = factories.post(
            story,
            id=next(HIDDEN_IDS),
            url=f"https://www.tiktok.com/@{w('handle')}/video/1",
            author_name=w("author").title(),
            handle=w("handle"),
            text=w("posttext"),
            media_url=f"https://pic.twitter.com/{w('media')}",
            reach=w("reach"),
            reach_count=987_654_321,
            posted_on=datetime.date(2020, 3, 15),
            hidden=True,
            hidden_reason=f"Takedown request from the person filmed ({w('reason')})",
        )
        copy = files.new_copy(
            post,
            kind="capture",
            data=w("copybytes").encode(),
            media_type="application/warc",
            original_url=post.url,
            captured_by="editor",
            captured_at=timezone.now(),
        )
        ArchivedCopy.objects.filter(pk=copy.pk).update(id=next(HIDDEN_IDS))
        LinkCheck.objects.create(
            post=post,
            role="post",
            url=post.url,
            status="gone",
            checked_at=timezone.now(),
            checked_by="check_links",
        )
        self.hidden_post = post
        self.keys += [("id", str(post.pk)), ("id", str(ArchivedCopy.objects.get(post=post).pk))]

    def words(self):
        """Every marker word stored in the database, found by reading the rows back."""
        found = set()
        for model in (Country, Region, City, Performer, SourceArticle, Story, LinkedPost):
            for row in model.objects.values():
                for value in row.values():
                    found.update(MARKERS.findall(str(value)))
        return sorted(word.lower() for word in found if word.lower().startswith(MARK))


@pytest.fixture
def hidden():
    """The seed-like published archive, and one hidden story in each unpublished state."""
    factories.seed_like()
    hidden = Hidden()
    day = datetime.date
    hidden.add("draft", Story.Status.DRAFT, day(2020, 5, 1))
    hidden.add("review", Story.Status.IN_REVIEW, day(2020, 5, 2))
    hidden.add("withdrawn", Story.Status.WITHDRAWN, day(2020, 5, 3))
    hidden.add("reopened", Story.Status.DRAFT, day(2020, 5, 4), reopened=True)
    hidden.add_hidden_post(Story.objects.published().order_by("slug").first())
    return hidden


# Reading responses.


def body_of(response):
    if response.streaming:  # (a stream is read once: kept for the next look)
        if not hasattr(response, "streamed"):
            response.streamed = b"".join(response.streaming_content)
        content = response.streamed
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def headers_of(response):
    return {name.lower(): value for name, value in response.headers.items()}


# By design (issue 12): OAI-PMH reports a story withdrawn after publication as a deleted
# record, whose header names it by its identifier (oai:...:<slug>), as its own address
# answers 410. Only that identifier is let through: its datestamp and sets, and anything
# else in the response, are searched as everywhere.
DELETED_IDENTIFIER = re.compile(r'(<header status="deleted"><identifier>)[^<]*(</identifier>)')


def markers_in(response, allowed=()):
    """The marker words in a response's body and headers, leaving out `allowed` (the key the
    visitor put in the URL, which a page may repeat)."""
    body = body_of(response)
    if response.get("Content-Type", "").startswith("text/xml"):
        body = DELETED_IDENTIFIER.sub(r"\1\2", body)
    text = body + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for value in allowed:
        text = text.replace(value, "")
    return sorted(set(MARKERS.findall(text)))


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action", "cite", "data-url") and value:
                self.found.append(value)


# (Braces and backslashes are never part of an address: RFC 3986 has them percent-encoded;
# BibTeX puts addresses in braces.)
TEXT_LINK = re.compile(r"""https?://testserver[^\s"'<>{}\\]*|(?<=["'>])/[^\s"'<>{}\\]*(?=["'<])""")
LINK_HEADER = re.compile(r"<([^>]+)>")


def links_in(response, url):
    """Same-site addresses a response points to, absolute paths with their query strings."""
    body = body_of(response)
    found = []
    if "html" in response.get("Content-Type", ""):
        parser = Links()
        parser.feed(body)
        found += parser.found
    elif "csv" in response.get("Content-Type", ""):
        # A cell is one address or several, a line each (docs/opendata.md); commas are
        # the cells' separators, not part of the addresses.
        for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))):
            found += [line for cell in row for line in cell.splitlines() if "://" in line]
    else:
        found += TEXT_LINK.findall(body)
    found += LINK_HEADER.findall(response.get("Link", ""))
    if response.get("Location"):
        found.append(response["Location"])
    addresses = []
    for link in found:
        parts = urlsplit(urljoin("http://testserver" + url, link.replace("&amp;", "&")))
        if parts.scheme in ("http", "https") and parts.netloc == "testserver":
            addresses.append(urlunsplit(("", "", parts.path, parts.query, "")))
    return addresses


# The public URLconf.


CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def public_routes(resolver=None, prefix="", converters=None):
    """(route, {parameter: converter}) for every route of the URLconf but the admin, with
    each include's prefix joined on."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route, entry_converters = route_of(entry.pattern)
        merged = {**(converters or {}), **entry_converters}
        if isinstance(entry, URLResolver):
            if "admin" in (entry.namespace, entry.app_name):
                continue
            yield from public_routes(entry, prefix + route, merged)
        else:
            yield prefix + route, merged


def route_of(pattern):
    if isinstance(pattern, RoutePattern):
        return str(pattern), pattern.converters
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix, {}
    if isinstance(pattern, RegexPattern) and not pattern.regex.groups:
        literal = str(pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        return re.sub(r"\\(.)", r"\1", literal), {}
    raise AssertionError(
        f"The leak test cannot fill the route {pattern!r}: give it a path() route, or teach "
        "route_of() how to fill it."
    )


def fits(converter, value):
    if not re.fullmatch(converter.regex, value):
        return False
    try:
        converter.to_python(value)
    except (ValueError, TypeError):
        return False
    return True


def control_for(kind, value, number=0):
    """A key of the same shape as `value` that names nothing in the archive; `number` tells
    apart the keys of one address."""
    if kind == "code":
        return CONTROL_CODES[number]
    if kind == "id":
        return str(CONTROL_ID + number)
    return "zz" + string.ascii_lowercase[number] * (len(value) - 2)


def normalised(response, replace):
    """A response as a visitor could compare two of them: `replace` maps each key in the URL
    to a placeholder; per-request nonces and the headers every request changes are left
    out."""

    def clean(text):
        for value, placeholder in replace.items():
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", placeholder, text)
        return NONCE.sub("nonce", text)

    headers = {
        name: clean(value)
        for name, value in headers_of(response).items()
        if name not in UNSTABLE_HEADERS
    }
    return response.status_code, headers, clean(body_of(response))


def answers_alike(client, address, keys, problems, controls):
    """Asks `address(values)` naming the hidden `keys` (each (kind, value)), and again naming
    keys of the same shapes that do not exist; records in `problems` any marker found, a
    server error, or any difference a visitor could see."""
    values = [value for _, value in keys]
    url = address(values)
    response = client.get(url)
    if found := markers_in(response, allowed=values):
        problems.append(f"{url} shows {', '.join(found)}")
    if response.status_code >= 500:
        problems.append(f"{url} answers {response.status_code}")
    others = [control_for(kind, value, number) for number, (kind, value) in enumerate(keys)]
    control_url = address(others)
    placeholders = [f"KEY{number}" for number in range(len(keys))]
    if controls.get(control_url) is None:
        controls[control_url] = normalised(
            client.get(control_url), dict(zip(others, placeholders, strict=True))
        )
    if normalised(response, dict(zip(values, placeholders, strict=True))) != controls[control_url]:
        problems.append(
            f"{url} answers {response.status_code}, unlike {control_url} "
            f"({controls[control_url][0]}): a visitor can tell a hidden key from a missing one"
        )


def report(problems):
    return f"{len(problems)} leaks:\n" + "\n".join(problems[:60])


# The tests.


def test_the_markers_are_where_a_leak_would_show_them(client, hidden):
    """The test sees markers when they are shown: a curator's preview of each hidden story
    has its title, places, performer, source and post."""
    client.force_login(factories.user("curator", is_superuser=True))
    for state, story in hidden.stories.items():
        if story.status == Story.Status.WITHDRAWN:
            continue  # a withdrawn story answers 410 even to staff
        found = set(markers_in(client.get(story.get_absolute_url())))
        for field in ("title", "cityname", "neighbourname", "performername", "posttext"):
            assert hidden.word(state, field) in {word.lower() for word in found}
        assert hidden.word(state, "sourcetitle") in found


def test_the_hidden_posts_markers_are_where_a_leak_would_show_them(client, hidden):
    """An editor sees the hidden post in the admin; once shown again, the public does."""
    client.force_login(factories.user("curator", is_superuser=True))
    post = hidden.hidden_post
    page = client.get(f"/admin/stories/linkedpost/{post.pk}/change/")
    assert hidden.word(HIDDEN_POST, "posttext") in markers_in(page)
    LinkedPost.objects.filter(pk=post.pk).update(hidden=False)
    client.logout()
    shown = {word.lower() for word in markers_in(client.get(post.story.get_absolute_url()))}
    assert {hidden.word(HIDDEN_POST, f) for f in ("posttext", "author", "handle")} <= shown


def test_every_field_of_the_hidden_rows_carries_a_marker(hidden):
    words = hidden.words()
    for state in HIDDEN_CODES:
        for field in ("title", "story", "summary", "body", "curatornotes", "handle", "reach"):
            assert hidden.word(state, field) in words
        for field in ("countryname", "region", "city", "performerrole", "sourceexcerpt"):
            assert hidden.word(state, field) in words


def test_crawling_the_site_from_home_finds_no_marker_and_no_broken_link(client, hidden):
    seeds = ["/"] + WELL_KNOWN_PATHS
    for route, converters in public_routes():
        if not converters:
            seeds += [f"/{route}?{query}".removesuffix("?") for query in FORMAT_QUERIES]
    seen, queue, problems = set(seeds), deque(seeds), []
    linked_from, variants, visited = {}, Counter(), 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        visited += 1
        response = client.get(url)
        if found := markers_in(response):
            problems.append(f"{url} shows {', '.join(found)}")
        if response.status_code >= 500:
            problems.append(f"{url} answers {response.status_code}")
        if url in linked_from and response.status_code in (404, 410):
            problems.append(f"{linked_from[url]} links to {url}, which answers 404 or 410")
        for link in links_in(response, url):
            if link in seen or link.startswith(NOT_PUBLIC):
                continue
            path, _, query = link.partition("?")
            if query and variants[path] >= QUERIES_PER_PATH:
                continue  # facet links combine without end; every path is still visited
            variants[path] += bool(query)
            seen.add(link)
            linked_from[link] = url
            queue.append(link)
    assert visited > 50, "the crawl found too little of the site to mean anything"
    assert not queue, f"the crawl stopped at {MAX_PAGES} addresses with {len(queue)} to go"
    assert not problems, report(problems)


def test_every_public_route_naming_a_hidden_row_answers_as_for_a_missing_one(client, hidden):
    problems, controls, asked = [], {}, 0
    withdrawn = hidden.stories["withdrawn"].get_absolute_url()
    for route, converters in public_routes():
        names = [match["name"] for match in CONVERTER.finditer(route)]
        if not names:
            continue

        def address(values, route=route, names=names):
            url = "/" + route
            for name, value in zip(names, values, strict=True):
                url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url)
            return url

        choices = [[key for key in hidden.keys if fits(converters[n], key[1])] for n in names]
        for keys in itertools.islice(itertools.product(*choices), 200):
            url = address([value for _, value in keys])
            asked += 1
            if url == withdrawn:
                # By design: a withdrawn story's address says it was withdrawn (410), and
                # nothing more.
                response = client.get(url)
                assert response.status_code == 410
                assert not markers_in(response, allowed=[keys[0][1]]), url
            elif any(kind == "day" for kind, _ in keys):
                # A day page names its day; one with only hidden stories must look empty.
                if found := markers_in(client.get(url)):
                    problems.append(f"{url} shows {', '.join(found)}")
            else:
                answers_alike(client, address, keys, problems, controls)
    assert asked >= 20, "too few routes take a key for this test to mean anything"
    assert not problems, report(problems)


def filter_values(hidden):
    """(parameter, kind, value) for each filter of the story list that names rows, and each
    hidden row it could name; and `q` with the marker words a search could look for."""
    probes = []
    for name, story_filter in StoryFilter.base_filters.items():
        if isinstance(story_filter, NaturalKeyFilter):
            queryset, key = story_filter.extra["queryset"], story_filter.extra["key"]
            keys = [value for _, value in hidden.keys]
            for value in queryset.model.objects.filter(**{f"{key}__in": keys}).values_list(
                key, flat=True
            ):
                probes.append((name, "code" if key == "code" else "slug", value))
    probes += [
        ("q", "slug", hidden.word(state, field))
        for state, field in itertools.product(HIDDEN_CODES, WORDS_SEARCHED)
    ]
    probes += [
        ("q", "slug", hidden.word(HIDDEN_POST, field))
        for field in ("posttext", "author", "handle", "reach")
    ]
    return probes


def reads(client, page, name):
    """Whether `page` reads the query parameter `name`: whether it answers differently when
    given a value that names nothing. A page that answers such a value exactly as it answers
    no value at all does not read the parameter, and the crawl has already searched it."""
    control = control_for("slug", "x" * 20)
    bare = normalised(client.get(page), {})
    given = normalised(client.get(f"{page}?{urlencode({name: control})}"), {control: "KEY0"})
    return bare != given


def test_every_filter_set_to_a_hidden_value_answers_as_for_an_unknown_one(client, hidden):
    probes = filter_values(hidden)
    assert {"city", "country", "performer", "q"} <= {name for name, _, _ in probes}
    pages = ["/" + route for route, converters in public_routes() if not converters]
    readers = {
        (page, name)
        for page in pages
        for name in {name for name, _, _ in probes}
        if reads(client, page, name)
    }
    assert ("/stories/", "city") in readers and ("/map/", "q") in readers
    problems, controls = [], {}
    for page, (name, kind, value) in itertools.product(pages, probes):
        if (page, name) not in readers:
            continue

        def address(values, page=page, name=name):
            return f"{page}?{urlencode({name: values[0]})}"

        answers_alike(client, address, [(kind, value)], problems, controls)
    assert not problems, report(problems)


# The date filters name no row, but a day can still tell: a post or copy only hidden rows
# have on that day must not make a story match, nor change the answer in any other way.
DATE_PAGES = [
    "browse:list",
    "browse:timeline",
    "browse:map",
    "opendata:api-stories",
    "opendata:stories-csv",
    "opendata:stories-json",
    "opendata:feed",
]


def day_words(day):
    return {day.isoformat(): "DAY", f"{day.day} {day:%B %Y}": "DAY-IN-WORDS"}


@pytest.mark.parametrize("prefix", ["posted", "captured"])
def test_a_date_only_hidden_posts_and_copies_have_answers_as_a_day_with_nothing(
    client, hidden, prefix
):
    """The hidden stories' posts are dated 20 May 2020 and their copies captured today; a
    published story's copy captured on 7 June 2025 is hidden. No published story has a post
    or a public copy on those days (nor on the control days after them)."""
    LinkedPost.objects.filter(story__in=hidden.stories.values()).update(
        posted_on=datetime.date(2020, 5, 20)
    )
    public_post = LinkedPost.objects.visible().first()
    copy = files.new_copy(
        public_post,
        kind="capture",
        data=b"WARC/1.1 hidden copy",
        media_type="application/warc",
        original_url=public_post.url,
        captured_by="capture_posts",
        captured_at=timezone.make_aware(datetime.datetime(2025, 6, 7, 12)),
    )
    copy.hidden, copy.hidden_reason = True, "A takedown request."
    copy.save(update_fields=["hidden", "hidden_reason"])
    if prefix == "posted":
        days = [datetime.date(2020, 5, 20)]
    else:
        days = [timezone.now().date(), datetime.date(2025, 6, 7)]
    problems = []
    for name, hidden_day in itertools.product(DATE_PAGES, days):
        control_day = hidden_day + datetime.timedelta(days=1)

        def address(day, name=name):
            query = urlencode({f"{prefix}_after": day, f"{prefix}_before": day})
            return f"{reverse(name)}?{query}"

        response = client.get(address(hidden_day))
        control = client.get(address(control_day))
        if found := markers_in(response):
            problems.append(f"{address(hidden_day)} shows {', '.join(found)}")
        if normalised(response, day_words(hidden_day)) != normalised(
            control, day_words(control_day)
        ):
            problems.append(
                f"{address(hidden_day)} answers unlike {address(control_day)}: a visitor can "
                "tell that something hidden is dated that day"
            )
    first = f"{prefix}_after={days[0]}&{prefix}_before={days[0]}"
    assert client.get(f"{reverse('opendata:api-stories')}?{first}").json()["count"] == 0
    assert not problems, report(problems)
