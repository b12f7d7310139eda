"""Facet counts beside the story list, and the links that add or remove a filter.

Each facet counts the stories that every *other* active filter keeps, so its numbers say
how many stories a click gives (selecting a country replaces the country; selecting a city
adds it to the cities asked for). One GROUP BY query per facet, whatever the page size.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import QueryDict
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.text import slugify

from stories.models import City, Country, LinkedPost, Region, Story

SHOWN = 10  # values listed as links in each facet
SUGGESTED = 500  # values offered as typed-input suggestions (<datalist>)


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    url: str
    active: bool = False


@dataclass
class Facet:
    name: str
    title: str
    values: list = field(default_factory=list)
    total: int = 0

    @property
    def shown(self):
        """The busiest values, plus any selected value that is not among them."""
        top = self.values[:SHOWN]
        return top + [v for v in self.values[SHOWN:] if v.active]

    @property
    def hidden_count(self):
        return max(0, self.total - len(self.shown))


class Links:
    """Builds list URLs from the current query string; every link drops `page`."""

    def __init__(self, data):
        self.data = QueryDict(mutable=True)
        for name, values in data.lists():
            kept = [v for v in values if v.strip()]
            if kept and name != "page":
                self.data.setlist(name, kept)
        self.base = reverse("browse:list")

    @property
    def query(self):
        """The query string the links keep (no page, no blank values): the filters' name in
        cache keys, and what the timeline and map links carry."""
        return self.data.urlencode()

    def _url(self, data):
        query = data.urlencode()
        return f"{self.base}?{query}" if query else self.base

    def replacing(self, **params):
        data = self.data.copy()
        for name, value in params.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return self._url(data)

    def adding(self, name, value):
        data = self.data.copy()
        data.setlist(name, [*data.getlist(name), value])
        return self._url(data)

    def removing(self, name, value=None):
        data = self.data.copy()
        if value is None:
            data.pop(name, None)
        else:
            # The URL may name a city "Florence" where the facet says "florence".
            data.setlist(name, [v for v in data.getlist(name) if slugify(v) != slugify(value)])
        return self._url(data)

    def toggling(self, name, value, active, many=False):
        if active:
            return self.removing(name, value if many else None)
        return self.adding(name, value) if many else self.replacing(**{name: value})


def _ids(stories):
    return stories.order_by().values("pk")


def city_facet(filterset, links):
    selected = {city.slug for city in filterset.active.get("city", [])}
    rows = (
        Story.cities.through.objects.filter(story__in=_ids(filterset.without("city")))
        .values("city__slug", "city__name", "city__country__name")
        .annotate(n=Count("story"))
        .order_by("-n", "city__name")[:SUGGESTED]
    )
    facet = Facet("city", "Cities")
    for row in rows:
        slug, active = row["city__slug"], row["city__slug"] in selected
        facet.values.append(
            FacetValue(
                slug,
                f"{row['city__name']}, {row['city__country__name']}",
                row["n"],
                links.toggling("city", slug, active, many=True),
                active,
            )
        )
    facet.total = len(facet.values)
    return facet


def country_counts(stories):
    """[(code, name, stories)] for the countries of `stories`, through cities, regions or
    the story's own countries, each story counted once per country; busiest first."""
    sql, params = _ids(stories).query.sql_with_params()
    cities = Story.cities.through._meta.db_table
    regions = Story.regions.through._meta.db_table
    countries = Story.countries.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.code, c.name, COUNT(DISTINCT places.story_id) AS n
            FROM (
              SELECT sc.story_id, city.country_id FROM {cities} sc
                JOIN {City._meta.db_table} city ON city.id = sc.city_id
              UNION ALL
              SELECT sr.story_id, region.country_id FROM {regions} sr
                JOIN {Region._meta.db_table} region ON region.id = sr.region_id
              UNION ALL
              SELECT sco.story_id, sco.country_id FROM {countries} sco
            ) places
            JOIN {Country._meta.db_table} c ON c.id = places.country_id
            WHERE places.story_id IN ({sql})
            GROUP BY c.code, c.name
            ORDER BY n DESC, c.name
            """,
            params,
        )
        return cursor.fetchall()


def country_facet(filterset, links):
    selected = filterset.active.get("country")
    rows = country_counts(filterset.without("country"))
    facet = Facet("country", "Countries")
    for code, name, count in rows:
        active = selected is not None and selected.code == code
        facet.values.append(
            FacetValue(code, name, count, links.toggling("country", code, active), active)
        )
    facet.total = len(facet.values)
    return facet


def kind_facet(filterset, links):
    selected = filterset.active.get("kind")
    labels = dict(Story.Kind.choices)
    rows = (
        _ids(filterset.without("kind"))
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("-n", "kind")
    )
    facet = Facet("kind", "Kinds of act")
    for row in rows:
        kind, active = row["kind"], row["kind"] == selected
        label = labels.get(kind, kind)
        facet.values.append(
            FacetValue(kind, label, row["n"], links.toggling("kind", kind, active), active)
        )
    facet.total = len(facet.values)
    return facet


def performer_facet(filterset, links):
    selected = filterset.active.get("performer")
    rows = (
        Story.performers.through.objects.filter(story__in=_ids(filterset.without("performer")))
        .values("performer__slug", "performer__name")
        .annotate(n=Count("story"))
        .order_by("-n", "performer__name")[:SUGGESTED]
    )
    facet = Facet("performer", "Performers")
    for row in rows:
        slug = row["performer__slug"]
        active = selected is not None and selected.slug == slug
        facet.values.append(
            FacetValue(
                slug,
                row["performer__name"],
                row["n"],
                links.toggling("performer", slug, active),
                active,
            )
        )
    facet.total = len(facet.values)
    return facet


def platform_facet(filterset, links):
    selected = filterset.active.get("platform")
    labels = dict(LinkedPost.Platform.choices)
    rows = (
        LinkedPost.objects.filter(story__in=_ids(filterset.without("platform")))
        .exclude(platform="")
        .values("platform")
        .annotate(n=Count("story", distinct=True))
        .order_by("-n", "platform")
    )
    facet = Facet("platform", "Posted on")
    for row in rows:
        platform, active = row["platform"], row["platform"] == selected
        facet.values.append(
            FacetValue(
                platform,
                labels.get(platform, platform),
                row["n"],
                links.toggling("platform", platform, active),
                active,
            )
        )
    facet.total = len(facet.values)
    return facet


def month_bounds(month):
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


def month_facet(filterset, links):
    """Months by the day each story began; a click asks for the stories within that month."""
    after = filterset.active.get("date_after")
    before = filterset.active.get("date_before")
    rows = (
        _ids(filterset.without("date_after", "date_before"))
        .exclude(start_date=None)
        .annotate(month=TruncMonth("start_date"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    facet = Facet("month", "Months")
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        first, last = month_bounds(month)
        active = (after, before) == (first, last)
        url = (
            links.replacing(date_after=None, date_before=None)
            if active
            else links.replacing(date_after=first.isoformat(), date_before=last.isoformat())
        )
        facet.values.append(
            FacetValue(first.isoformat()[:7], format_date(first, "F Y"), row["n"], url, active)
        )
    facet.total = len(facet.values)
    return facet


def all_facets(filterset, links):
    return [
        country_facet(filterset, links),
        city_facet(filterset, links),
        month_facet(filterset, links),
        kind_facet(filterset, links),
        performer_facet(filterset, links),
        platform_facet(filterset, links),
    ]


@dataclass
class Chip:
    label: str
    url: str


def active_chips(filterset, links):
    """One removable chip per filter in use."""
    active = filterset.active
    chips = [
        Chip(f"City: {city.name}", links.removing("city", city.slug))
        for city in active.get("city", [])
    ]
    if "country" in active:
        chips.append(Chip(f"Country: {active['country'].name}", links.removing("country")))
    if "kind" in active:
        chips.append(Chip(f"Kind: {Story.Kind(active['kind']).label}", links.removing("kind")))
    if "performer" in active:
        chips.append(Chip(f"Performer: {active['performer'].name}", links.removing("performer")))
    if "platform" in active:
        label = LinkedPost.Platform(active["platform"]).label
        chips.append(Chip(f"Posted on: {label}", links.removing("platform")))
    if "date_after" in active:
        day = format_date(active["date_after"], "j F Y")
        chips.append(Chip(f"From {day}", links.removing("date_after")))
    if "date_before" in active:
        day = format_date(active["date_before"], "j F Y")
        chips.append(Chip(f"Until {day}", links.removing("date_before")))
    if "q" in active:
        chips.append(Chip(f"Words: “{active['q']}”", links.removing("q")))
    return chips
