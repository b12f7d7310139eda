"""Facet counts beside the story list, and the links that add or remove a filter.

Each facet counts the stories that every *other* active filter keeps, so its numbers say
how many stories a click gives (selecting a country replaces the country; selecting a city
adds it to the cities asked for). Counts come from the facet tables (stories/facts.py): the
totals when no other filter is in use, else one GROUP BY over the facet rows of the chosen
stories; a facet that cannot be counted within the page's budget is left out, and named.

Visibility: the facet tables hold only published stories, whose links are the definition of
the places' and performers' `visible()` gates, so a facet never names a hidden city, country
or performer and needs no second check. The chips name what the
filters cleaned to, and the filters admit only visible rows (browse/filters.py).
"""

import calendar
import datetime
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connection, connections
from django.db.models import BooleanField, Count, F, OuterRef, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from browse.budget import Deadline, OutOfTime, time_limit
from stories import facts, words
from stories.models import City, Country, FacetTotal, LinkedPost, Performer, Story, StoryFacet
from stories.sample import FACET_STORY_ID, SHARE, STORY_ID, bucket, in_sample

SHOWN = 10  # values listed as links in each facet
SUGGESTED = 500  # values offered as typed-input suggestions (<datalist>)
MENU_LIMIT = 200  # values a <select> offers; beyond, a box to type in with suggestions


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    url: str
    active: bool = False
    estimated: bool = False  # `count` is an estimate from a sample (see Sample)

    @property
    def count_text(self):
        """The count as the page writes it: "about 12,000" for an estimate, rounded to two
        significant figures."""
        return self.count_in(get_language())

    def count_in(self, language):
        return count_text(self.count, self.estimated, language)


def count_text(count, estimated, language):
    """A count as a page writes it in `language`: "about 12,000" for an estimate, rounded
    to two significant figures."""
    if not estimated:
        return str(count)
    rounded = round(count, 2 - len(str(count))) if count >= 10 else count
    return about(language, rounded)


@lru_cache(maxsize=4096)
def about(language, count):
    """An estimated count as written in `language` (the active one): "about 12,000". Kept,
    not written again for each of an estimated facet's hundreds of values (rounded to two
    figures, they repeat): formatting them took 15 ms a page."""
    return _("about %(count)s") % {"count": intcomma(count)}


@dataclass
class Facet:
    name: str
    title: str
    values: list = field(default_factory=list)
    total: int = 0
    estimated: bool = False  # counted on a sample: see Sample

    @property
    def shown(self):
        """The busiest values, plus any selected value that is not among them."""
        top = self.values[:SHOWN]
        return top + [v for v in self.values[SHOWN:] if v.active]

    @property
    def hidden_count(self):
        return max(0, self.total - len(self.shown))

    # Hundreds of <option>s, written once when the facet is counted (and cached with it):
    # the template loop took most of a page's rendering time.
    suggestions: str = ""  # <option>s of a <datalist>
    choices: str = ""  # <option>s of a <select>, the active value selected

    def write_options(self, options, selected=()):
        """Take the <option>s of every value from `options` (Options), the `selected` keys
        marked, then keep only the values shown as links: the rest live on in the options,
        and the cached facet stays small."""
        self.suggestions = mark_safe(options.suggestions)  # noqa: S308 - escaped (Options)
        self.choices = mark_safe(options.choices_html(selected))  # noqa: S308 - the same
        self.values = self.shown


@dataclass
class Options:
    """A facet's values as <option>s: for a <datalist>, and for a <select> but for which
    is selected. Written once for a facet over every story and kept with its rows
    (build_facet): the same 500 cities' options on every city's page took 0.6 ms to write.
    Escaped with `html.escape`, as Django's `escape` does."""

    suggestions: str
    choices: list  # [(key, the <option> up to where " selected" goes, the rest)]

    @classmethod
    def of(cls, values, language):
        """The options of `values`, (key, label, count, estimated) each, in `language`."""
        written = [
            (key, escaped(str(key)), escaped(str(label)), count_text(count, estimated, language))
            for key, label, count, estimated in values
        ]
        suggestions = "".join(
            f'<option value="{key}" label="{label} ({count})"></option>'
            for _, key, label, count in written
        )
        choices = [
            (raw, f'<option value="{key}"', f">{label} ({count})</option>")
            for raw, key, label, count in written
        ]
        return cls(suggestions, choices)

    def choices_html(self, selected):
        return "".join(
            f"{start} selected{end}" if key in selected else start + end
            for key, start, end in self.choices
        )


@lru_cache(maxsize=50_000)
def escaped(text):
    """`html.escape(text)`, kept: the same few thousand names of cities, countries and
    performers fill the options of page after page (2,000 escapes a page, 2 ms at a
    million). Plain strings only: a lazy translation would compare equal to its text in
    another language."""
    return escape(text)


class Links:
    """Builds list URLs from the current query string; every link drops `page`.

    The parameters are kept as a dict of lists, in the query string's order, and each link
    is written with `urlencode`, as QueryDict.urlencode() writes them: a QueryDict's copy()
    is a deep copy, and a page's 30 to 60 links took 0.6 ms of copying."""

    def __init__(self, data):
        self.data = {}
        for name, values in data.lists():
            kept = [v for v in values if v.strip()]
            if kept and name != "page":
                self.data[name] = kept
        self.base = reverse("browse:list")

    @property
    def query(self):
        """The query string the links keep (no page, no blank values): the filters' name in
        cache keys, and what the timeline and map links carry."""
        return self._query(self.data)

    @staticmethod
    def _query(data):
        return urlencode([(name, value) for name, values in data.items() for value in values])

    def _url(self, data):
        query = self._query(data)
        return f"{self.base}?{query}" if query else self.base

    def replacing(self, **params):
        data = dict(self.data)  # (the lists are replaced, never changed)
        for name, value in params.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = [value]
        return self._url(data)

    def adding(self, name, value):
        data = dict(self.data)
        data[name] = [*data.get(name, []), value]
        return self._url(data)

    def removing(self, name, value=None):
        data = dict(self.data)
        if value is None:
            data.pop(name, None)
        else:
            # The URL may name a city "Florence" where the facet says "florence".
            data[name] = [v for v in data.get(name, []) if slugify(v) != slugify(value)]
        return self._url(data)

    def toggling(self, name, value, active, many=False):
        if active:
            return self.removing(name, value if many else None)
        return self.adding(name, value) if many else self.replacing(**{name: value})


# Which stories a count is over: the filters in use, as rows of the facet tables when
# they can be (stories/facts.py), so that counting is an index range.

SELECTABLE = ("city", "country", "performer", "platform")  # facets a filter names keys of
PLAIN = {"kind", "date_after", "date_before"}  # filters every facet row carries
DATES = {"date_after", "date_before"}


@dataclass
class Selection:
    """The published stories some filters keep: all of them (`ids` is None), or the story
    ids of `ids`, a queryset; `repeats` says whether a story may appear more than once in
    it (several cities asked for)."""

    ids: object = None
    repeats: bool = False
    rows: bool = False  # `ids` reads the facet rows (else the stories, through the ORM)
    counted: dict = None  # {facet: {key: count}} counted already (a sample's: see Sample)
    # (term, country facet key or ""): a search's stories, in a country if given, which
    # the index counts, ranks and samples by itself (stories/words.py); `ids` then reads
    # them
    word: tuple = None
    # For a word: its stories' (id, rank, start date), every one, read once a page; None
    # if they are more than EXACT_AT_ONCE
    word_rows: Callable = None
    # (facet, key, kind or None): one wide key's stories (facts.SPAN_FACETS), of one kind if
    # given, in no date range, which the spans count by month of their start
    span: tuple = None
    # The names of the filters it applies, of one page's filters: the same names, the same
    # stories (see Sample.key)
    filters: tuple = None

    @property
    def everything(self):
        return self.ids is None


def _keys(name, value):
    if name == "city":
        return [str(city.pk) for city in value]
    if name == "platform":
        return [value]
    return [str(value.pk)]


def selection(filterset, leave_out=()):
    """The stories every filter in use but `leave_out` keeps.

    No filter: every published story (counts come from the totals). One city (or several),
    country, performer or platform, with any kind and dates: one range of the facet rows'
    selection index. Anything else (words, or two of those): the list's own query.

    Made once a page for the same filters (`filterset.once`): beside one city's list, five
    facets count over the city's stories, and building their query took 0.1 ms each."""
    active = {name: value for name, value in filterset.active.items() if name not in leave_out}
    if not active:
        return Selection()
    filters = tuple(sorted(active))
    made = partial(_selection, filterset, active, filters, leave_out)
    return filterset.once(("selection", filters), made)


def _selection(filterset, active, filters, leave_out):
    if word := searched_word(active):

        def word_rows():
            rows = words.rows(*word, limit=EXACT_AT_ONCE + 1)
            return rows if len(rows) <= EXACT_AT_ONCE else None

        rows = partial(filterset.once, ("word rows", word), word_rows)
        return Selection(RawSQL(*words.stories(*word)), word=word, word_rows=rows, filters=filters)
    named = [name for name in SELECTABLE if name in active]
    if len(named) > 1 or set(active) - PLAIN - set(named):
        return Selection(filterset.without(*leave_out).order_by().values("pk"), filters=filters)
    facet = named[0] if named else "story"
    keys = _keys(facet, active[facet]) if named else [""]
    rows = StoryFacet.objects.filter(facet=facet, key__in=keys)
    if "kind" in active:
        rows = rows.filter(kind=active["kind"])
    elif "date_after" in active or "date_before" in active:
        rows = rows.filter(facts.AnyKind())  # (a date range the index can read: see there)
    if "date_after" in active:  # as StoryQuerySet.covering()
        rows = rows.filter(end_date__gte=active["date_after"])
    if "date_before" in active:
        rows = rows.filter(start_date__lte=active["date_before"])
    span = None
    if facet in facts.SPAN_FACETS and len(keys) == 1 and not active.keys() & DATES:
        span = (facet, keys[0], active.get("kind"))
    ids = rows.values("story_id")
    return Selection(ids, repeats=len(keys) > 1, rows=True, span=span, filters=filters)


def searched_word(active):
    """(term, country key or "") when the filters `active` are words the index answers by
    itself (stories/words.py: one lexeme on PostgreSQL, any words one MATCH answers on
    SQLite) and at most a country. None otherwise."""
    if "q" not in active or set(active) - {"q", "country"}:
        return None
    term = words.term(active["q"])
    if term is None:
        return None
    country = active.get("country")
    return term, str(country.pk) if country else ""


def listing(filterset, reach=None, total=None):
    """The stories the filters keep, in the order asked for: for a selection the facet rows
    make (one city, country, performer or platform, with any kind and dates), their ids from
    the selection index rather than one EXISTS per story.

    `reach`: how far down the list the page goes (its number times its length), `total`
    the list's length if known. In date
    order, the stories read are then only those dated on or beyond the date of the story at
    that place, found in the facet rows' index: a country's 6,000 stories in a date range
    are otherwise each read from the story table, to keep the first 20 (1.1 s at a million
    stories with the table not in memory). Every story up to `reach` is still among them, in
    the same order."""
    chosen = selection(filterset)
    sort = filterset.form.cleaned_data.get("sort")
    if chosen.word and reach and sort in ([], None):
        # Best match first: the stories ranked up to `reach` by the word's index (a common
        # word's 700,000 matches were each ranked, 0.4 to 1.2 s), then ordered as the list
        # orders them.
        lexeme, country = chosen.word
        rows = None
        if total is not None and total <= ESTIMATE_ABOVE:  # (the facets read them all too)
            rows = chosen.word_rows()
        if rows is not None and all(rank is not None for _, rank, _ in rows):
            ranked = words.ranked_among(rows, reach)
        else:
            ranked = words.ranked(lexeme, reach, country)
        return words.in_order(filterset.qs, ranked)
    if not chosen.rows:
        return filterset.qs
    ids = chosen.ids
    wide = reach and (total is None or total > reach)  # (else the page reaches every story)
    if wide and not chosen.repeats and sort in ([], None, ["date"]):
        start = newest_start(filterset.active, reach) if not sort else None
        ids = ids.filter(start_date__gte=start) if start else reaching(ids, reach, not sort, total)
    stories = Story.objects.published().filter(pk__in=ids)
    return filterset.filters["sort"].filter(stories, sort)


def newest_start(active, reach):
    """For a selection of one wide key (`facts.SPAN_FACETS`): the day on or after which the
    stories a page newest first reaches start, from the spans (a few hundred rows), where
    finding it in the facet rows sorts all of Italy's (120 ms). None if the spans cannot
    tell: another key, or the page reaches stories that started before the range."""
    named = [name for name in SELECTABLE if name in active]
    facet = named[0] if named else "story"
    keys = _keys(facet, active[facet]) if named else [""]
    if facet not in facts.SPAN_FACETS or len(keys) > 1:
        return None
    after = active.get("date_after")
    start = facts.newest_start(facet, keys[0], reach, active.get("kind"), active.get("date_before"))
    # (A story starting on or after the range's first day ends in it or after it.)
    return start if start and (after is None or start >= after) else None


# More stories than this starting on the day of a page's last story, beyond it: that day's
# are taken in the list's order within a day from the story table (see reaching), on the
# pages reaching no further than TIES_WITHIN (the first reach + TIES facet rows are counted
# by day to tell). Fewer are sorted as quickly as the index is walked.
TIES = 500
TIES_WITHIN = 1_000


def reaching(rows, reach, newest=True, total=None):
    """The facet rows `rows` (one per story) dated on or beyond the date of the `reach`-th
    in date order, newest or oldest first, undated last: every story up to that place is
    among them. All of them if that place is undated or beyond the last, or if they are
    known to be no more than `reach` (`total`: then no query).

    Unless more than TIES stories beyond that place start on its day (on a page reaching
    no further than TIES_WITHIN): then the ids of the stories up to that place (a list), those
    dated beyond that day and, of that day's, those first in the list's order within a
    day (title, then id), found in the story table's index of that order, each looked up
    in `rows` until there are enough. The first of March 2020 starts 15,735 of a million
    stories: its day page read and sorted every one of them (65 ms cold; now 13 ms)."""
    if total is not None and total <= reach:
        return rows
    ahead = TIES if reach <= TIES_WITHIN and (total is None or total > reach + TIES) else 0
    edge, before, tied = date_reached(rows, reach, newest, ahead)
    if edge is None:
        return rows
    if not tied:
        return rows.filter(**{"start_date__gte" if newest else "start_date__lte": edge})
    beyond = rows.filter(**{"start_date__gt" if newest else "start_date__lt": edge})
    # A subquery per story, not a join: as a join the database reads all of `rows`
    # (Spain's 161,638) or misjudges how many start that day and sorts them.
    member = rows.filter(story_id=OuterRef("pk")).values("story_id")[:1]
    first = Story.objects.published().filter(start_date=edge)
    first = first.alias(member=Subquery(member)).filter(member__isnull=False)
    first = first.order_by("title", "pk").values_list("pk", flat=True)[: reach - before]
    # (As ids, not subqueries: the database would plan the page's query around them.)
    return [*beyond.values_list("story_id", flat=True), *first]


def date_reached(rows, reach, newest, ahead):
    """For `reaching`: the date of the `reach`-th of `rows` in date order (None if undated
    or beyond the last), how many come before that day, and whether the `ahead` after it
    start on that day too. One query: the first reach + ahead, counted by day (reading
    them, 500 more than a page, cost a day page 1.5 ms)."""
    day = F("start_date")
    day = day.desc(nulls_last=True) if newest else day.asc(nulls_last=True)
    head = rows.order_by(day).values(started=F("start_date"))[: reach + ahead]
    sql, params = head.query.sql_with_params()
    with connections[head.db].cursor() as cursor:
        cursor.execute(f"SELECT started, COUNT(*) FROM ({sql}) head GROUP BY started", params)
        days = [(as_date(started), count) for started, count in cursor.fetchall()]

    def place(row):  # (in the list's order, undated last)
        started = row[0]
        if started is None:
            return (1, 0)
        return (0, -started.toordinal() if newest else started.toordinal())

    days.sort(key=place)
    seen = 0
    for started, count in days:
        if seen + count >= reach:
            # (The day reached is the last read, and all reach + ahead were there.)
            tied = bool(ahead) and started == days[-1][0] and seen + count == reach + ahead
            return started, seen, tied
        seen += count
    return None, seen, False


def as_date(value):
    """A date from the database (SQLite gives text) or None."""
    return datetime.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def story_count(filterset):
    """How many stories the filters keep: the list's total."""
    chosen = selection(filterset)
    if chosen.everything:
        return facts.total("story")
    if chosen.word:
        return words.total(*chosen.word)
    if chosen.rows:
        summed = summed_count(filterset.active)
        if summed is not None:
            return summed
        ids = chosen.ids
        return ids.distinct().count() if chosen.repeats else ids.count()
    return filterset.qs.count()


def summed_count(active):
    """The list's total from the totals or the spans (stories/facts.py), when a selection
    of the facet rows is one key they keep: a country alone, a kind, a country or a platform
    with a kind and dates. None otherwise (a city, a performer: their rows are few)."""
    named = [name for name in SELECTABLE if name in active]
    facet = named[0] if named else "story"
    keys = _keys(facet, active[facet]) if named else [""]
    if len(keys) > 1:
        return None
    kind, after, before = (active.get(name) for name in ("kind", "date_after", "date_before"))
    if after is None and before is None:
        if kind is None:
            return facts.total(facet, keys[0])
        return facts.total("kind", kind) if facet == "story" else None
    if facet not in facts.SPAN_FACETS or (after and before and after > before):
        return None
    return facts.spanned(facet, keys[0], kind, after, before)


def counts(facet, chosen, limit=None, by_count=True):
    """[(key, count)] of `facet` over the chosen stories, busiest first (or by key)."""
    if chosen.counted is not None:
        found = chosen.counted[facet]
        order = (lambda row: (-row[1], row[0])) if by_count else (lambda row: row[0])
        rows = sorted(found.items(), key=order)
        return rows[:limit] if limit else rows
    if chosen.everything:
        rows = FacetTotal.objects.filter(facet=facet).values_list("key", "total")
        order = ("-total", "key") if by_count else ("key",)
    else:
        stories = chosen.ids
        if chosen.repeats:
            stories = stories.distinct()
        measure = Sum("weight") if facet == "posts" else Count("*")
        rows = (
            StoryFacet.objects.filter(facet=facet, story_id__in=stories)
            .values("key")
            .annotate(n=measure)
            .values_list("key", "n")
        )
        order = ("-n", "key") if by_count else ("key",)
    rows = rows.order_by(*order)
    return list(rows[:limit] if limit else rows)


def undated_count(filterset, chosen):
    """How many of the chosen stories have no date (none, once a date filter is in use)."""
    if chosen.everything:
        found = facts.summary("story", "month")
        return found["story"][1] - found["month"][1]
    if chosen.rows:
        return chosen.ids.filter(start_date=None).count()
    return filterset.qs.filter(start_date=None).count()


def cities_with_counts(counted, *related):
    """City rows, ordered by country and name, each with its `story_count` from `counted`
    ([(key, count)])."""
    numbers = {int(key): n for key, n in counted}
    cities = list(
        City.objects.filter(pk__in=numbers)
        .select_related(*related)
        .order_by("country__name", "name")
    )
    for city in cities:
        city.story_count = numbers[city.pk]
    return cities


@dataclass(frozen=True, slots=True)
class Named:
    name: str


@dataclass(slots=True)
class MappedCity:
    """A city as the map draws and lists it (browse/maps.py), with its `story_count`: read as
    values, where 2,000 model instances with their countries took 25 ms of the map page."""

    pk: int
    name: str
    slug: str
    latitude: object
    longitude: object
    country: Named
    story_count: int


def mapped_cities(counted):
    """MappedCity rows of `counted` ([(key, count)]), ordered by country and name."""
    numbers = {int(key): n for key, n in counted}
    rows = (
        with_pks(City, numbers)
        .order_by("country__name", "name")
        .values_list("pk", "name", "slug", "latitude", "longitude", "country__name")
    )
    countries = {}
    return [
        MappedCity(
            pk, name, slug, lat, lon, countries.setdefault(country, Named(country)), numbers[pk]
        )
        for pk, name, slug, lat, lon, country in rows
    ]


def id_array(ids):
    """Integer ids as one PostgreSQL array literal, for `= ANY(%s::bigint[])`: psycopg
    dumps a Python list element by element, testing each against a regular expression
    (2,000 ids: 5 ms; three samples and their names, 15 ms a page at a million)."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def with_pks(model, pks):
    """The rows of `model` whose ids are among `pks` (up to thousands): as one array, not a
    parameter each, which psycopg quoted and split in Python (2,000 of them: 10 ms; 500
    cities' and 500 performers' names, 3 ms a page), and Django's SQLite backend bound one by
    one."""
    pks = list(pks)
    column = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    if connection.vendor == "postgresql":
        in_ids = f"{column} = ANY(%s::bigint[])"
        return model.objects.filter(RawSQL(in_ids, [id_array(pks)], BooleanField()))
    # SQLite: one JSON array, not a parameter each (500 cities' labels: 8 ms, 1.8).
    in_ids = f"{column} IN (SELECT value FROM json_each(%s))"
    return model.objects.filter(RawSQL(in_ids, [json.dumps(list(map(int, pks)))], BooleanField()))


def _by_pk(model, keys, *fields):
    # (As the driver gives the rows: the ORM's iteration took twice the query's time for
    # 500 cities.)
    found = raw_rows(with_pks(model, [int(key) for key in keys]).values_list("pk", *fields))
    return {str(pk): rest for pk, *rest in found}


# How each facet gets its rows: [(key, label, count)] for the stories the other filters
# keep, busiest first, ties by name.


def _busiest(rows):
    return sorted(rows, key=lambda row: (-row[2], row[1]))


def city_rows(chosen):
    found = counts("city", chosen, SUGGESTED)
    names = _by_pk(City, [key for key, _ in found], "slug", "name", "country__name")
    label = _("%(city)s, %(country)s")  # once, not once a city: 500 lookups took 18 ms
    return _busiest(
        (
            names[key][0],
            label % {"city": names[key][1], "country": names[key][2]},
            n,
        )
        for key, n in found
        if key in names
    )


def country_rows(chosen):
    found = counts("country", chosen)
    names = _by_pk(Country, [key for key, _ in found], "code", "name")
    return _busiest((*names[key], n) for key, n in found if key in names)


def performer_rows(chosen):
    found = counts("performer", chosen, SUGGESTED)
    names = _by_pk(Performer, [key for key, _ in found], "slug", "name")
    return _busiest((*names[key], n) for key, n in found if key in names)


def month_rows(chosen):
    """Months by the day each story began, in order; keyed YYYY-MM."""
    return [
        (key, format_date(datetime.date.fromisoformat(f"{key}-01"), "F Y"), n)
        for key, n in counts("month", chosen, by_count=False)
    ]


def choice_rows(facet, choices):
    """Rows for a facet over a field with choices (kind, platform), labelled by them."""

    def rows(chosen):
        labels = {key: str(label) for key, label in choices}  # (in the page's language)
        return _busiest((key, labels.get(key, key), n) for key, n in counts(facet, chosen))

    return rows


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
    rows: Callable  # Selection -> [(key, label, count)]
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
        country_rows,
        selected=lambda country: {country.code},
    ),
    FacetSpec("city", gettext_lazy("Cities"), city_rows, selected=slugs, many=True),
    MonthFacetSpec(
        "month", gettext_lazy("Months"), month_rows, leaves_out=("date_after", "date_before")
    ),
    FacetSpec("kind", gettext_lazy("Kinds of act"), choice_rows("kind", Story.Kind.choices)),
    FacetSpec("performer", gettext_lazy("Performers"), performer_rows, selected=slugs),
    FacetSpec(
        "platform", gettext_lazy("Posted on"), choice_rows("platform", LinkedPost.Platform.choices)
    ),
]


FACET_NAMES = [spec.name for spec in FACETS]


def build_facet(spec, filterset, links, sample=None, total=None, chosen=None, keep=None):
    """The facet `spec` over the stories the other filters keep (`chosen`, when already
    known): counted exactly, or estimated on `sample` when those stories are too many to
    count quickly (see Sample).

    `keep(name, compute)`: a cache for what many pages share (browse.caching.cached, which
    keys it by language and the archive's revision). A facet over every story has the same
    rows on every page whose only filter is its own: the cities beside each of 2,000 cities'
    lists, read and labelled once, not once a city (500 rows and their names, 3 ms), and
    their options written once."""
    if chosen is None:
        chosen = facet_selection(spec, filterset)
    if chosen.everything and keep is not None:
        rows, options = keep(f"facet-rows:{spec.name}", partial(shared_rows, spec, chosen))
        return exact_facet(spec, filterset, links, rows, options)
    if sample is not None and not chosen.everything and chosen.counted is None:
        found = sample.found(chosen)
        if found.exact:  # counted already, exactly
            chosen = found.selection
        elif found.size > ESTIMATE_ABOVE:
            rows = spec.rows(found.selection)
            return estimated_facet(spec, filterset, links, rows, found.ratio, total)
    return exact_facet(spec, filterset, links, spec.rows(chosen))


def shared_rows(spec, chosen):
    """(rows, Options) of the facet `spec` over every story, `chosen`: see build_facet."""
    rows = spec.rows(chosen)
    return rows, exact_options(rows)


def exact_options(rows):
    return Options.of(((*row, False) for row in rows), get_language())


def exact_facet(spec, filterset, links, rows, options=None):
    """The facet `spec` from its exact counts, `rows`, whose Options may be written already."""
    selected = spec.selected_keys(filterset.active)
    facet = Facet(spec.name, spec.title, total=len(rows))
    for position, (key, label, count) in enumerate(rows):
        active = key in selected
        # Values only for the page's links; the rest are options, suggestions to type.
        if position < SHOWN or active:
            facet.values.append(FacetValue(key, label, count, spec.url(links, key, active), active))
    facet.write_options(options or exact_options(rows), selected)
    return facet


def estimated_facet(spec, filterset, links, rows, ratio, total=None):
    """A facet from the sample's counts (`rows`), each scaled up by `ratio` and marked as an
    estimate. Only values that are surely among the busiest SHOWN are links, so an estimate
    never shows a value near the top that an exact count would not: a value is a link when
    its sample count, less MARGIN standard errors, is above the first value's not shown, plus
    MARGIN standard errors. The others stay one typed word away, as suggestions.

    The selected value of a facet that takes one (a country, a kind, a performer, a
    platform) is shown with the list's `total`, which is its exact count: the stories the
    other filters keep that have that value are the list."""
    selected = spec.selected_keys(filterset.active)
    facet = Facet(spec.name, spec.title, estimated=True)
    by_count = spec.name != "month"  # months are listed in order, each shown
    bar = None  # every value the page has room for is shown
    if by_count and len(rows) > SHOWN:
        first_left_out = rows[SHOWN][2]
        bar = first_left_out + MARGIN * math.sqrt(first_left_out)
    for position, (key, label, count) in enumerate(rows):
        active = key in selected
        sure = position < SHOWN and (bar is None or count - MARGIN * math.sqrt(count) > bar)
        url = spec.url(links, key, active) if sure or active else ""
        value = FacetValue(key, label, round(count * ratio), url, active, estimated=True)
        if active and total is not None and not spec.many and spec.name != "month":
            value.count, value.estimated = total, False
        facet.values.append(value)
    facet.total = len(facet.values)
    written = ((v.key, v.label, v.count, v.estimated) for v in facet.values)
    facet.write_options(Options.of(written, get_language()), selected)
    # Shown: the sure values, in order, and any selected value.
    facet.values = [value for value in facet.values if value.url]
    return facet


# Estimated counts (issue 11). Counting a facet over a wide selection reads the rows of
# every chosen story: a common word chooses 140,000 of a million stories, and its facets took
# 300 ms and more; a kind, which the facet rows select as one index range, 280,000, and the
# performer facet beside `kind=music&performer=...` (the performer left out) took 300 ms. A
# facet over more than ESTIMATE_ABOVE stories is counted instead on the chosen stories within
# a fixed sample of the archive (stories/sample.py: 2% of the stories, with partial indexes
# of their own, of the stories and of the facet rows), and scaled up; the page marks each
# such count "about". The list's stories, its total and its order stay exact; so does every
# facet over fewer stories, and every facet counted from the totals (no filter but its own).

ESTIMATE_ABOVE = 5_000  # stories: counting exactly costs about 20 µs a story and facet on SQLite
SAMPLED_AT_MOST = 2_000  # stories of the sample a facet is counted on
MARGIN = 3  # standard errors (see estimated_facet)
EXACT_AT_ONCE = 4 * ESTIMATE_ABOVE  # stories whose facets are counted in one query


@dataclass
class Found:
    """What the sample says of one selection: its stories in the sample (`selection`, with
    their facets counted), the factor their counts are scaled by, and so the selection's
    estimated size."""

    selection: Selection
    ratio: float
    exact: bool = False  # the selection's own stories, every one, not the sample's
    known: int = None  # the selection's size, where the list's total says it

    @property
    def size(self):
        if self.known is not None:
            return self.known
        return self.selection.counted["_stories"] * self.ratio


class Sample:
    """The published stories in the fixed sample (stories/sample.py), for one page.

    A selection's stories in it are read once, with their hash bucket; beyond
    SAMPLED_AT_MOST of them, those in the lowest buckets are kept, a smaller sample taken
    the same way (the buckets below some bound), so that a common word costs what a rarer
    one does. Each sample's ratio, published stories per published story in it, is read
    from the sample's own index."""

    def __init__(self, total):
        self.total = total
        self.buckets = None  # [(bucket, published stories in it)] of the sample
        self.selections = {}
        self.needed = {}  # {selection's key: the names of the facets counted over it}
        self.sizes = {}  # {selection's key: its number of stories}, where known

    @staticmethod
    def key(chosen):
        """What tells one page's selections apart: the filters each applies (its SQL, written
        out, took 0.3 ms a page)."""
        return chosen.filters or chosen.word or str(chosen.ids.query)

    def plan(self, chosen, sizes=None):
        """Note which facets each selection is counted for (`chosen`: {facet name:
        selection}), so that each counts only those: the facet rows of a country and dates
        read for the country facet alone, not for all six, took 19 ms of 24 at a million.
        `sizes`: {facet name: how many stories its selection holds}, where known (the
        list's own total, for the facets whose filter is not in use)."""
        for name, selected in chosen.items():
            if not selected.everything and selected.counted is None:
                key = self.key(selected)
                self.needed.setdefault(key, set()).add(name)
                if sizes and sizes.get(name) is not None:
                    self.sizes[key] = sizes[name]

    def found(self, chosen):
        key = self.key(chosen)
        if key not in self.selections:
            names = self.needed.get(key)
            size = self.sizes.get(key)
            if size is not None and size <= ESTIMATE_ABOVE:
                # Few stories, known from the list's total: no sample to read first (a
                # word's in a country at 100,000 stories on SQLite: 27 ms).
                ids = few_stories(chosen)
                if ids is not None:
                    counted = count_all(ids, sampled=False, names=names)
                    found = Found(Selection(ids, counted=counted), 1.0, exact=True)
                    self.selections[key] = found
                    return found
            # (The sample's estimate of the size only where the list's total does not say
            # it: a word in a country with 5,059 stories, which the sample put at 4,400, was
            # read and counted exactly, 67 ms at a million.)
            found = replace(self.sampled(chosen, names), known=size)
            if found.size <= ESTIMATE_ABOVE:
                # Few stories: read once, and every facet counted exactly over them in one
                # query, where each facet read them again (40 to 55 ms each for a word and
                # a country at 100,000 stories on SQLite; 130 ms for the cities of Taiwan
                # in a date range at a million on PostgreSQL). Beyond EXACT_AT_ONCE, the
                # estimate was far out: each facet counts.
                ids = few_stories(chosen)
                if ids is not None:
                    counted = count_all(ids, sampled=False, names=names)
                    found = Found(Selection(ids, counted=counted), 1.0, exact=True)
            self.selections[key] = found
        return self.selections[key]

    def sampled(self, chosen, names=None):
        if chosen.word:  # the word rows' own index of the sample, lowest bucket first
            lexeme, country = chosen.word
            stories = words.sampled(lexeme, SAMPLED_AT_MOST + 1, country)
        else:
            if chosen.rows:  # the facet rows' own index of the sample (migration 0015)
                field, of = "story_id", FACET_STORY_ID
            else:
                field, of = "pk", STORY_ID
            rows = chosen.ids.filter(in_sample(of=of)).values_list(field, bucket(of=of))
            # The lowest buckets first, in the database: a year's sampled stories are
            # 12,000, and reading them all into Python took 10 to 20 ms. (A story is in
            # several cities' rows once each.)
            if chosen.repeats or not chosen.rows:
                rows = rows.distinct()
            rows = rows.order_by(bucket(of=of).asc(), field)
            stories = raw_rows(rows[: SAMPLED_AT_MOST + 1])
        bound = SHARE
        if len(stories) > SAMPLED_AT_MOST:
            bound = stories[SAMPLED_AT_MOST][1]
            stories = [row for row in stories if row[1] < bound]
        ids = [pk for pk, _ in stories]
        counted = count_all(ids, names=names)
        return Found(Selection(ids, counted=counted), self.ratio(bound))

    def ratio(self, bound):
        """Published stories per published story in the buckets below `bound`, from the
        sample facet's totals (stories/facts.py), read once a page: counting the sample's
        stories took 6 to 10 ms for each selection at a million."""
        if self.buckets is None:
            rows = FacetTotal.objects.filter(facet="sample").values_list("key", "total")
            self.buckets = [(int(key), total) for key, total in rows]
        sampled = sum(total for key, total in self.buckets if key < bound)
        return self.total / max(1, sampled)


def few_stories(chosen):
    """The ids of the chosen stories, each once, if they are at most EXACT_AT_ONCE; else
    None."""
    if chosen.word:
        rows = chosen.word_rows()
        return None if rows is None else [story_id for story_id, _, _ in rows]
    field = "story_id" if chosen.rows else "pk"
    rows = chosen.ids.values_list(field, flat=True)
    ids = list(dict.fromkeys(rows[: EXACT_AT_ONCE + 1]))
    return ids if len(ids) <= EXACT_AT_ONCE else None


def raw_rows(queryset):
    """The rows of a values_list() queryset of plain columns and counts, as the database
    driver gives them: without the ORM's conversion of each value (ints to int), 8,000 of
    them a page over the sample, 7 ms."""
    with connection.cursor() as cursor:
        cursor.execute(*queryset.query.sql_with_params())
        return cursor.fetchall()


def count_all(ids, sampled=True, names=None):
    """{facet: {key: count}} of every facet (or those `names`) over the sampled stories
    `ids` (or any stories, not `sampled`), in one query; under "_stories", how many they
    are."""
    counted = {"_stories": len(ids)}
    for name in names or FACET_NAMES:
        counted[name] = {}
    if ids:
        for facet, key, n in raw_rows(sampled_rows(ids, sampled, names)):
            counted[facet][key] = n
    return counted


def sampled_rows(ids, sampled=True, names=None):
    """(facet, key, count) of every facet (or those `names`) over the sampled stories `ids`
    (any stories, not `sampled`)."""
    names = sorted(names or FACET_NAMES)
    if connection.vendor == "postgresql":
        # Up to 2,000 ids as one array, not 2,000 parameters: quoting and splitting those
        # took 30 to 90 ms of Python a page.
        in_ids = '"stories_storyfacet"."story_id" = ANY(%s::bigint[])'
        rows = StoryFacet.objects.filter(facet__in=names)
        rows = rows.filter(RawSQL(in_ids, [id_array(ids)], output_field=BooleanField()))
    else:
        # SQLite, without statistics, would read every row of the six facets from the
        # selection index (facet first) and test it for the ids: 130 ms at 100,000 stories.
        # The unary + leaves it the primary key, by story: 19 ms. The ids as one JSON array,
        # not a list of thousands of values, which SQLite read by walking that whole index
        # instead (4,147 stories of a word at 100,000: 150 ms, against 38).
        in_facets = f'+"stories_storyfacet"."facet" IN ({", ".join(["%s"] * len(names))})'
        in_ids = '"stories_storyfacet"."story_id" IN (SELECT value FROM json_each(%s))'
        rows = StoryFacet.objects.filter(
            RawSQL(in_ids, [json.dumps(list(ids))], output_field=BooleanField())
        )
        rows = rows.filter(RawSQL(in_facets, names, output_field=BooleanField()))
    if sampled:
        # (True of every sampled story: it lets PostgreSQL read the rows from the index of
        # the sample's rows by story, migration 0015.)
        rows = rows.filter(in_sample(of=FACET_STORY_ID))
    return rows.values_list("facet", "key").annotate(n=Count("*")).order_by()


def story_sample():
    """The sample, or None when the archive has too few stories to need one (one read of
    the totals)."""
    total = facts.total("story")
    return Sample(total) if total > ESTIMATE_ABOVE else None


def all_facets(filterset, links, total=None, keep=None):
    """(the facets, the titles of those left out): the facets are counted in turn until the
    page's FACET_TIME_BUDGET runs out; those not counted by then are left out, and the page
    names them. Counts from the totals take no time; over a selection, one index range each;
    through the list's own query, exact up to ESTIMATE_ABOVE stories, estimated beyond.
    `total`: the list's, when known (see estimated_facet); `keep`: see build_facet."""
    deadline = Deadline(settings.FACET_TIME_BUDGET)
    built = []
    try:
        with time_limit(deadline):
            chosen = {spec.name: facet_selection(spec, filterset) for spec in FACETS}
            sample = None
            if any(not selected.everything for selected in chosen.values()):
                sample = story_sample()
            if sample is not None:
                active = set(filterset.active)
                sizes = {
                    spec.name: total
                    for spec in FACETS
                    if not active & set(spec.leaves_out or (spec.name,))
                }
                sample.plan(chosen, sizes if total is not None else None)
            for spec in FACETS:
                if deadline.left <= 0:
                    raise OutOfTime
                facet = build_facet(spec, filterset, links, sample, total, chosen[spec.name], keep)
                built.append(facet)
    except OutOfTime:
        pass
    return built, [str(spec.title) for spec in FACETS[len(built) :]]


def facet_selection(spec, filterset):
    """The stories a facet is counted over: those every filter but its own keeps; for the
    month facet over one wide key's stories, with their counts from its spans, exact."""
    chosen = selection(filterset, spec.leaves_out or (spec.name,))
    if spec.name == "month" and chosen.span and not chosen.everything:
        chosen = replace(chosen, counted={"month": facts.started_by_month(*chosen.span)})
    return chosen


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
    other_dates = {
        "posted_after": _("Posted from %(day)s"),
        "posted_before": _("Posted until %(day)s"),
        "captured_after": _("Captured from %(day)s"),
        "captured_before": _("Captured until %(day)s"),
    }
    for name, label in other_dates.items():
        if name in active:
            day = format_date(active[name], "j F Y")
            chips.append(Chip(label % {"day": day}, links.removing(name)))
    if "q" in active:
        chips.append(Chip(_("Words: “%(words)s”") % {"words": active["q"]}, links.removing("q")))
    return chips
