"""A published story as data: the one shape every download, feed and API answer is made from.

`story_records()` gives stories as nested, JSON-ready values; `flat_record()` gives one
record as the flat columns of the CSV download (COLUMNS, documented in docs/opendata.md).
They read published stories (`published()`) and only their own links, so they show exactly
what a story's page shows: places, performers, posts and sources reach the public only
through a published story.
"""

import re

from django.db.models import F
from django.urls import reverse

from preservation.models import ArchivedCopy
from stories.models import LinkedPost, Story

# The CSV's columns, in order, and what each holds (docs/opendata.md repeats this list, and
# tests/test_opendata.py keeps the two the same). A cell that holds several values holds one
# a line: names, slugs and addresses never contain a line break.
COLUMNS = {
    "url": "the story's page in the archive: its permanent identifier",
    "slug": "the last part of that address",
    "title": "the story's title",
    "kind": "music, applause, workout, dj-set or other",
    "start_date": "when it happened: the first day of the act (YYYY-MM-DD), empty when no "
    "source dates it",
    "end_date": "its last day, the same as start_date for a one-day act",
    "summary": "one or two sentences",
    "body": "the story as the archive tells it",
    "countries": "ISO 3166-1 codes of the countries it took place in, one a line",
    "regions": "names of its regions, one a line",
    "cities": "names of its cities, one a line",
    "city_urls": "the cities' pages in the archive, in the same order",
    "coordinates": "each city's latitude and longitude (WGS 84), 'lat,lon', in the same order",
    "performers": "names of the people and groups who performed, one a line",
    "performer_urls": "their pages in the archive, in the same order",
    "posts": "addresses of the social-media posts that documented it, one a line",
    "post_platforms": "each post's platform, in the same order",
    "post_dates": "when each post was posted (YYYY-MM-DD, or empty), in the same order",
    "sources": "addresses of the articles the story is drawn from, one a line",
    "source_titles": "their titles, in the same order",
    "published_at": "when the story was first published in the archive (UTC, ISO 8601)",
    "updated_at": "when it last changed (UTC, ISO 8601)",
    "dates_from": "source when start_date and end_date are as the sources give them, "
    "inferred when the archive's curators inferred them",
    "post_captured_at": "when the archive first captured each post (UTC, ISO 8601; empty "
    "when it holds no public copy of it), in the same order as posts",
}

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# injection"); such a cell gets a leading apostrophe, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Addresses:
    """Absolute addresses of stories, cities and performers by slug, built from one
    `reverse()` each (a million stories: a million reverse() calls otherwise)."""

    def __init__(self, request):
        self.patterns = {
            name: request.build_absolute_uri(reverse(f"browse:{name}", args=["SLUG"]))
            for name in ("story", "city", "performer")
        }
        # (A copy's address takes a number: one that no copy has stands in for it.)
        self.patterns["copy"] = request.build_absolute_uri(
            reverse("browse:copy", args=[123456789])
        ).replace("123456789", "SLUG")

    def __call__(self, name, slug):
        return self.patterns[name].replace("SLUG", slug)


def story_records(ids, addresses):
    """The published stories with these ids as records, in the order of `ids`: eight
    queries (the stories, six kinds of link, the posts' public copies), whatever the number
    (values, not model instances: a download of a million stories builds no model instance
    and leaves no reference cycle for the collector)."""
    stories = Story.objects.published().filter(pk__in=ids)
    found = {row["id"]: row for row in stories.values(*STORY_FIELDS)}
    links = {pk: {name: [] for name in LINKS} for pk in found}
    for name, rows in linked_rows(found):
        for row in rows:
            links[row.pop("story_id")][name].append(row)
    copies = public_copies(found)
    for story in links.values():
        for post in story["posts"]:
            post["copies"] = copies.get(post.pop("id"), [])
    return [record(found[pk], links[pk], addresses) for pk in ids if pk in found]


def public_copies(found):
    """{post id: [(copy id, kind, captured_at)]} of the copies the public may see
    (`ArchivedCopy.objects.visible()`) of the posts of the stories `found`, oldest first."""
    copies = {}
    rows = (
        ArchivedCopy.objects.visible()
        .filter(post__story_id__in=list(found))
        .order_by("post_id", "captured_at", "pk")
        .values_list("post_id", "pk", "kind", "captured_at")
    )
    for post, *copy in rows:
        copies.setdefault(post, []).append(copy)
    return copies


STORY_FIELDS = (
    "id",
    "slug",
    "title",
    "kind",
    "start_date",
    "end_date",
    "dates_from",
    "summary",
    "body",
    "published_at",
    "updated_at",
)
LINKS = ("cities", "regions", "countries", "performers", "posts", "sources")


def linked_rows(found):
    """(relation, its rows with story_id) for the stories `found`; each in a fixed order."""
    ids = list(found)
    through = {
        name: getattr(Story, name).through.objects.filter(story_id__in=ids)
        for name in LINKS
        if name != "posts"
    }
    yield (
        "cities",
        through["cities"]
        .values(
            "story_id",
            name=F("city__name"),
            slug=F("city__slug"),
            country=F("city__country__code"),
            country_name=F("city__country__name"),
            region=F("city__region__name"),
            region_country=F("city__region__country__code"),
            region_country_name=F("city__region__country__name"),
            latitude=F("city__latitude"),
            longitude=F("city__longitude"),
            geonames_id=F("city__geonames_id"),
        )
        .order_by("story_id", "city__name", "city_id"),
    )
    yield (
        "regions",
        through["regions"]
        .values(
            "story_id",
            name=F("region__name"),
            slug=F("region__slug"),
            country=F("region__country__code"),
            country_name=F("region__country__name"),
        )
        .order_by("story_id", "region__name", "region_id"),
    )
    yield (
        "countries",
        through["countries"]
        .values("story_id", code=F("country__code"), name=F("country__name"))
        .order_by("story_id", "country__code"),
    )
    yield (
        "performers",
        through["performers"]
        .values(
            "story_id",
            name=F("performer__name"),
            slug=F("performer__slug"),
            kind=F("performer__kind"),
            role=F("performer__role"),
            identified=F("performer__identified"),
        )
        .order_by("story_id", "performer__name", "performer_id"),
    )
    yield (
        "posts",
        LinkedPost.objects.filter(story_id__in=ids, hidden=False)
        .values("story_id", "id", "url", "platform", "author_name", "handle", "posted_on")
        .order_by("story_id", "position", "id"),
    )
    yield (
        "sources",
        through["sources"]
        .values(
            "story_id",
            url=F("sourcearticle__url"),
            title=F("sourcearticle__title"),
            outlet=F("sourcearticle__outlet"),
            published_on=F("sourcearticle__published_on"),
        )
        .order_by("story_id", "-sourcearticle__published_on", "sourcearticle__slug"),
    )


def iso(value):
    return value.isoformat() if value is not None else None


def countries_of(links):
    """The countries a story took place in, as the country filter finds it: its own, its
    cities' and its regions' (and their regions' countries); sorted by code."""
    found = {country["code"]: country["name"] for country in links["countries"]}
    for place in (*links["cities"], *links["regions"]):
        found.setdefault(place["country"], place["country_name"])
    for city in links["cities"]:
        if city["region_country"]:
            found.setdefault(city["region_country"], city["region_country_name"])
    return [{"code": code, "name": found[code]} for code in sorted(found)]


def coordinate(value):
    return float(value) if value is not None else None


def record(story, links, addresses):
    """One story as nested values (dates as ISO 8601 text)."""
    return {
        "url": addresses("story", story["slug"]),
        "slug": story["slug"],
        "title": story["title"],
        "kind": story["kind"],
        "start_date": iso(story["start_date"]),
        "end_date": iso(story["end_date"]),
        "dates_from": story["dates_from"],
        "summary": story["summary"],
        "body": story["body"],
        "countries": countries_of(links),
        "regions": [{"name": r["name"], "slug": r["slug"]} for r in links["regions"]],
        "cities": [
            {
                "name": city["name"],
                "url": addresses("city", city["slug"]),
                "country": city["country"],
                "region": city["region"],
                "latitude": coordinate(city["latitude"]),
                "longitude": coordinate(city["longitude"]),
                "geonames_id": city["geonames_id"],
            }
            for city in links["cities"]
        ],
        "performers": [
            {
                "name": performer["name"],
                "url": addresses("performer", performer["slug"]),
                "kind": performer["kind"],
                "role": performer["role"],
                "identified": performer["identified"],
            }
            for performer in links["performers"]
        ],
        "posts": [
            {
                **post,
                "posted_on": iso(post["posted_on"]),
                "copies": [
                    {
                        "kind": kind,
                        "captured_at": iso(captured_at),
                        "url": addresses("copy", str(pk)),
                    }
                    for pk, kind, captured_at in post["copies"]
                ],
            }
            for post in links["posts"]
        ],
        "sources": [
            {**source, "published_on": iso(source["published_on"])} for source in links["sources"]
        ],
        "published_at": iso(story["published_at"]),
        "updated_at": iso(story["updated_at"]),
    }


# Characters XML 1.0 cannot hold, even escaped (C0 controls but tab, newline and carriage
# return; lone surrogates; U+FFFE and U+FFFF).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    """`value` as text an XML document can hold: what XML 1.0 cannot is dropped (a visitor's
    words may hold anything; so may a story loaded in bulk)."""
    return NOT_XML.sub("", str(value))


def lines(values):
    return "\n".join("" if value is None else str(value) for value in values)


def flat_record(record):
    """`story_record()`'s values as the CSV's COLUMNS (text, in order)."""
    cities, performers = record["cities"], record["performers"]
    posts, sources = record["posts"], record["sources"]
    row = {
        **{name: record[name] for name in ("url", "slug", "title", "kind", "summary", "body")},
        "start_date": record["start_date"],
        "end_date": record["end_date"],
        "countries": lines(country["code"] for country in record["countries"]),
        "regions": lines(region["name"] for region in record["regions"]),
        "cities": lines(city["name"] for city in cities),
        "city_urls": lines(city["url"] for city in cities),
        "coordinates": lines(
            f"{city['latitude']},{city['longitude']}" if city["latitude"] is not None else ""
            for city in cities
        ),
        "performers": lines(performer["name"] for performer in performers),
        "performer_urls": lines(performer["url"] for performer in performers),
        "posts": lines(post["url"] for post in posts),
        "post_platforms": lines(post["platform"] for post in posts),
        "post_dates": lines(post["posted_on"] for post in posts),
        "sources": lines(source["url"] for source in sources),
        "source_titles": lines(source["title"] for source in sources),
        "published_at": record["published_at"],
        "updated_at": record["updated_at"],
        "dates_from": record["dates_from"],
        "post_captured_at": lines(
            post["copies"][0]["captured_at"] if post["copies"] else "" for post in posts
        ),
    }
    return [defused(row[name]) for name in COLUMNS]


def defused(value):
    """A cell's text; one a spreadsheet would run as a formula starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
