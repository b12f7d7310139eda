"""Facet counts beside the story list, and the links that add or remove a filter.

Each facet counts the stories that every *other* active filter keeps, so its numbers say
how many stories a click gives (selecting a country replaces the country; selecting a city
adds it to the cities asked for). One GROUP BY query per facet, whatever the page size.

Visibility: a facet's rows are the links of the published stories the filters keep, which
is the definition of the places' and performers' `visible()` gates, so a facet never names
a hidden city, country or performer and needs no second check. The chips name what the
filters cleaned to, and the filters admit only visible rows (browse/filters.py).
"""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import QueryDict
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stories.models import Country, LinkedPost, Story, story_country_pairs

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


# How each facet gets its rows: [(key, label, count)] for the stories the other filters
# keep, busiest first. One GROUP BY query each.


def city_rows(stories):
    rows = (
        Story.cities.through.objects.filter(story__in=_ids(stories))
        .values("city__slug", "city__name", "city__country__name")
        .annotate(n=Count("story"))
        .order_by("-n", "city__name")[:SUGGESTED]
    )
    return [
        (
            row["city__slug"],
            _("%(city)s, %(country)s")
            % {"city": row["city__name"], "country": row["city__country__name"]},
            row["n"],
        )
        for row in rows
    ]


def country_counts(stories):
    """[(code, name, stories)] for the countries of `stories` (through cities, regions or the
    story's own countries: `story_country_pairs()`), each story counted once per country;
    busiest first. Raw SQL around the ORM's pairs: the ORM cannot GROUP BY over a UNION."""
    ids_sql, ids_params = _ids(stories).query.sql_with_params()
    pairs_sql, pairs_params = story_country_pairs().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.code, c.name, COUNT(DISTINCT places.story_id) AS n
            FROM ({pairs_sql}) places
            JOIN {Country._meta.db_table} c ON c.id = places.place_country
            WHERE places.story_id IN ({ids_sql})
            GROUP BY c.code, c.name
            ORDER BY n DESC, c.name
            """,
            (*pairs_params, *ids_params),
        )
        return cursor.fetchall()


def month_rows(stories):
    """Months by the day each story began, in order; keyed YYYY-MM."""
    rows = (
        _ids(stories)
        .exclude(start_date=None)
        .annotate(month=TruncMonth("start_date"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    months = []
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        months.append((month.isoformat()[:7], format_date(month, "F Y"), row["n"]))
    return months


def choice_rows(field, choices):
    """Rows for a facet over a field with choices (kind), labelled by the choices."""

    def rows(stories):
        labels = dict(choices)
        counts = _ids(stories).values(field).annotate(n=Count("pk")).order_by("-n", field)
        return [(row[field], labels.get(row[field], row[field]), row["n"]) for row in counts]

    return rows


def performer_rows(stories):
    rows = (
        Story.performers.through.objects.filter(story__in=_ids(stories))
        .values("performer__slug", "performer__name")
        .annotate(n=Count("story"))
        .order_by("-n", "performer__name")[:SUGGESTED]
    )
    return [(row["performer__slug"], row["performer__name"], row["n"]) for row in rows]


def platform_rows(stories):
    labels = dict(LinkedPost.Platform.choices)
    rows = (
        LinkedPost.objects.filter(story__in=_ids(stories))
        .exclude(platform="")
        .values("platform")
        .annotate(n=Count("story", distinct=True))
        .order_by("-n", "platform")
    )
    return [
        (row["platform"], labels.get(row["platform"], row["platform"]), row["n"]) for row in rows
    ]


def month_bounds(month):
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


# Which values of a facet the active filters select, as keys.


def slugs(value):
    return {obj.slug for obj in value} if isinstance(value, list) else {value.slug}


def selected_month(active):
    """The month whose bounds are exactly the date range asked for, if any."""
    after, before = active.get("date_after"), active.get("date_before")
    if after and before and (after, before) == month_bounds(after):
        return {after.isoformat()[:7]}
    return set()


@dataclass(frozen=True)
class FacetSpec:
    """One facet: its filter (`name`, also the query parameter), title and rows; how the
    active filters select its values; and whether a click adds a value (`many`: cities)
    or replaces it. It counts the stories every filter but `leaves_out` keeps."""

    name: str
    title: str
    rows: Callable  # stories -> [(key, label, count)]
    selected: Callable = lambda value: {value}  # the filter's cleaned value -> keys
    many: bool = False
    leaves_out: tuple = ()

    def selected_keys(self, active):
        value = active.get(self.name)
        return set() if value is None else self.selected(value)

    def url(self, links, key, active):
        return links.toggling(self.name, key, active, many=self.many)


@dataclass(frozen=True)
class MonthFacetSpec(FacetSpec):
    """Months select a date range: a click asks for the stories within that month."""

    def selected_keys(self, active):
        return selected_month(active)

    def url(self, links, key, active):
        if active:
            return links.replacing(date_after=None, date_before=None)
        first, last = month_bounds(datetime.date.fromisoformat(f"{key}-01"))
        return links.replacing(date_after=first.isoformat(), date_before=last.isoformat())


FACETS = [
    FacetSpec(
        "country",
        gettext_lazy("Countries"),
        country_counts,
        selected=lambda country: {country.code},
    ),
    FacetSpec("city", gettext_lazy("Cities"), city_rows, selected=slugs, many=True),
    MonthFacetSpec(
        "month", gettext_lazy("Months"), month_rows, leaves_out=("date_after", "date_before")
    ),
    FacetSpec("kind", gettext_lazy("Kinds of act"), choice_rows("kind", Story.Kind.choices)),
    FacetSpec("performer", gettext_lazy("Performers"), performer_rows, selected=slugs),
    FacetSpec("platform", gettext_lazy("Posted on"), platform_rows),
]


def build_facet(spec, filterset, links):
    selected = spec.selected_keys(filterset.active)
    facet = Facet(spec.name, spec.title)
    for key, label, count in spec.rows(filterset.without(*(spec.leaves_out or (spec.name,)))):
        active = key in selected
        facet.values.append(FacetValue(key, label, count, spec.url(links, key, active), active))
    facet.total = len(facet.values)
    return facet


def all_facets(filterset, links):
    return [build_facet(spec, filterset, links) for spec in FACETS]


@dataclass
class Chip:
    label: str
    url: str


def active_chips(filterset, links):
    """One removable chip per filter in use."""
    active = filterset.active
    chips = [
        Chip(_("City: %(name)s") % {"name": city.name}, links.removing("city", city.slug))
        for city in active.get("city", [])
    ]
    if "country" in active:
        label = _("Country: %(name)s") % {"name": active["country"].name}
        chips.append(Chip(label, links.removing("country")))
    if "kind" in active:
        label = _("Kind: %(kind)s") % {"kind": Story.Kind(active["kind"]).label}
        chips.append(Chip(label, links.removing("kind")))
    if "performer" in active:
        label = _("Performer: %(name)s") % {"name": active["performer"].name}
        chips.append(Chip(label, links.removing("performer")))
    if "platform" in active:
        platform = LinkedPost.Platform(active["platform"]).label
        label = _("Posted on: %(platform)s") % {"platform": platform}
        chips.append(Chip(label, links.removing("platform")))
    if "date_after" in active:
        day = format_date(active["date_after"], "j F Y")
        chips.append(Chip(_("From %(day)s") % {"day": day}, links.removing("date_after")))
    if "date_before" in active:
        day = format_date(active["date_before"], "j F Y")
        chips.append(Chip(_("Until %(day)s") % {"day": day}, links.removing("date_before")))
    if "q" in active:
        chips.append(Chip(_("Words: “%(words)s”") % {"words": active["q"]}, links.removing("q")))
    return chips
