"""The story list's filters. Their query parameters are the public contract of /stories/."""

from functools import cache

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Exists, OuterRef
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from preservation.models import ArchivedCopy
from stories import facts, search
from stories.models import City, Country, LinkedPost, Performer, Story, StoryFacet

# The orders a visitor may ask for (`sort`); none given: best match first when words are
# given, newest event first otherwise.
SORTS = {
    "-date": _("Newest event first"),
    "date": _("Oldest event first"),
    "title": _("Title, A to Z"),
}
MAX_PAGE = 1_000_000
MAX_WORDS_LENGTH = 200


def shown(value, limit=40):
    """A visitor's value, cut short enough to repeat in an error message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


class NaturalKeyField(forms.Field):
    """One or more rows named by slug (or, for countries, ISO code) in the query string.

    Checks the shape before asking the database, so a NUL byte or a 10,000-character
    value is a 400 rather than a database error; unknown names are a 400 too. `queryset`
    is what a visitor may name (a `visible()` gate): a row outside it is unknown, with the
    same message as a name the archive never had. Cleans to model instances, so the page can
    show names without another query.
    """

    default_error_messages = {
        "too_many": _("Choose at most %(limit)d %(noun)s values."),
        "not_a_name": _("“%(value)s” is not a %(noun)s name."),
        "not_a_code": _("“%(value)s” is not a %(noun)s code."),
        "unknown": _("The archive has no %(noun)s “%(value)s”."),
    }

    def __init__(self, *, queryset, key, noun, many=False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.queryset, self.key, self.noun, self.many = queryset, key, noun, many
        self.widget = forms.MultipleHiddenInput() if many else forms.TextInput()

    def error(self, code, **params):
        return forms.ValidationError(
            self.error_messages[code], code=code, params={"noun": self.noun, **params}
        )

    def normalise(self, value):
        if self.key == "code":
            return value.upper()
        return value if value == slugify(value) else slugify(value)

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if len(values) > 20:
            raise self.error("too_many", limit=20)
        cleaned = []
        for raw in values:
            if "\x00" in raw or len(raw) > 100:
                raise self.error("not_a_name", value=shown(raw))
            key = self.normalise(raw)
            if not key or (self.key == "code" and not (len(key) == 2 and key.isalpha())):
                raise self.error("not_a_code", value=shown(raw))
            cleaned.append((raw, key))
        return cleaned

    def clean(self, value):
        pairs = self.to_python(value)
        if not pairs:
            return [] if self.many else None
        found = {
            getattr(obj, self.key): obj
            for obj in self.queryset.filter(**{f"{self.key}__in": [k for _, k in pairs]})
        }
        missing = [raw for raw, key in pairs if key not in found]
        if missing:
            raise self.error("unknown", value=shown(missing[0]))
        objects = list(dict.fromkeys(found[key] for _, key in pairs))
        return objects if self.many else objects[-1]


class NaturalKeyFilter(django_filters.Filter):
    field_class = NaturalKeyField


# The three dates a story has, each a range of two filters: when it happened (the story's
# own dates), when it was posted (a post's date) and when the archive captured it (an
# archived copy the public may see).
DATE_RANGES = (
    ("date_after", "date_before"),
    ("posted_after", "posted_before"),
    ("captured_after", "captured_before"),
)


class StoryFilterForm(forms.Form):
    """The checks across fields."""

    field_order = ["sort"]  # the error summary names a bad order first, as it always has

    def clean(self):
        cleaned = super().clean()
        for first, last in DATE_RANGES:
            after, before = cleaned.get(first), cleaned.get(last)
            if after and before and after > before:
                self.add_error(last, _("The end of the range is before its start."))
        return cleaned


class SingleValueField(forms.Field):
    """Makes an OrderingFilter's field take one value, not a comma-separated list: `sort` has
    always been one choice, and "date,title" an invalid one."""

    def clean(self, value):
        value = super().clean(value)
        return [value] if value else []


class SortFilter(django_filters.OrderingFilter):
    """`sort`: one of SORTS. None given: best match first for words (`q`), newest first
    otherwise. Each order ends on the primary key, so pages never overlap."""

    base_field_class = SingleValueField

    def __init__(self, **kwargs):
        super().__init__(choices=list(SORTS.items()), **kwargs)

    def filter(self, qs, value):
        sort = value[0] if value else None
        if sort == "title":
            return qs.order_by("title", "pk")
        if sort is None and (words := self.parent.form.cleaned_data.get("q")):
            return search.by_relevance(qs, words)
        return qs.oldest_first() if sort == "date" else qs.newest_first()


class StoryFilter(django_filters.FilterSet):
    """The filters of the story list, the timeline and the map (see `filter_stories`)."""

    city = NaturalKeyFilter(
        queryset=City.objects.visible().select_related("country"),
        key="slug",
        noun=_("city"),
        many=True,
        method="filter_city",
        label=_("City"),
    )
    country = NaturalKeyFilter(
        queryset=Country.objects.counted(),
        key="code",
        noun=_("country"),
        method="filter_country",
        label=_("Country"),
    )
    kind = django_filters.ChoiceFilter(
        field_name="kind", lookup_expr="exact", choices=Story.Kind.choices, label=_("Kind of act")
    )
    performer = NaturalKeyFilter(
        queryset=Performer.objects.visible(),
        key="slug",
        noun=_("performer"),
        method="filter_performer",
        label=_("Performer"),
    )
    platform = django_filters.ChoiceFilter(
        choices=LinkedPost.Platform.choices, method="filter_platform", label=_("Posted on")
    )
    date_after = django_filters.DateFilter(method="filter_after", label=_("From"))
    date_before = django_filters.DateFilter(method="filter_before", label=_("Until"))
    posted_after = django_filters.DateFilter(method="filter_posted", label=_("Earliest post"))
    posted_before = django_filters.DateFilter(method="filter_posted", label=_("Latest post"))
    captured_after = django_filters.DateFilter(
        method="filter_captured", label=_("Earliest capture")
    )
    captured_before = django_filters.DateFilter(method="filter_captured", label=_("Latest capture"))
    q = django_filters.CharFilter(
        method="filter_words",
        label=_("Words"),
        max_length=MAX_WORDS_LENGTH,
        validators=[ProhibitNullCharactersValidator()],
    )
    sort = SortFilter(label=_("Order"))

    class Meta:
        model = Story
        fields = []
        form = StoryFilterForm

    # Each method's `name` is django-filter's (the field name), unused: the query is the
    # vocabulary's, in stories/models.py. The places and performers a filter names come from
    # their `visible()` gates: one only unpublished stories name is unknown, a 400 worded as
    # for a name the archive never had.
    def filter_city(self, queryset, _name, cities):
        return queryset.in_cities(cities)

    def filter_country(self, queryset, _name, country):
        # The country's facet rows (stories/facts.py: a row per published story in it,
        # through a city, a region or the country itself, as `in_countries()`), up to date
        # since the totals checked the country (checked_filters): one index range, where
        # three EXISTS a story took 134 ms beside a word at 100,000 stories on SQLite (23).
        rows = StoryFacet.objects.filter(facet="country", key=str(country.pk))
        return queryset.filter(pk__in=rows.values("story_id"))

    def filter_performer(self, queryset, _name, performer):
        return queryset.by_performers([performer])

    def filter_platform(self, queryset, _name, platform):
        return queryset.on_platform(platform)

    def filter_after(self, queryset, _name, day):
        """Stories under way on `day` or later: a story spanning it matches."""
        return queryset.covering(first=day)

    def filter_before(self, queryset, _name, day):
        return queryset.covering(last=day)

    def bounds(self, first, last, name):
        """(first day, last day) of a range of two filters, once: for the filter `name` if
        it is the range's first one in use, else None (the other applies both bounds, so
        that one post, or one copy, falls within both)."""
        data = self.form.cleaned_data
        after, before = data.get(first), data.get(last)
        if name == last and after is not None:
            return None
        return after, before

    def filter_posted(self, queryset, name, _day):
        """Stories with a post posted within the range (one post within both bounds)."""
        bounds = self.bounds("posted_after", "posted_before", name)
        return queryset if bounds is None else queryset.posted(*bounds)

    def filter_captured(self, queryset, name, _day):
        """Stories with an archived copy the public may see (`ArchivedCopy.objects.visible()`:
        not hidden, of a post of a published story) captured within the range."""
        bounds = self.bounds("captured_after", "captured_before", name)
        if bounds is None:
            return queryset
        copies = ArchivedCopy.objects.visible().captured(*bounds).of_story(OuterRef("pk"))
        return queryset.filter(Exists(copies))

    def filter_words(self, queryset, _name, words):
        return search.matching(queryset, words)

    def get_form_class(self):
        return form_class(type(self))

    def filter_queryset(self, queryset, *, leave_out=()):
        """The filtered stories, in order; `leave_out` names filters to ignore."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters and name not in leave_out:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def without(self, *names):
        """The stories every filter but `names` keeps, unordered: what a facet for `names`
        counts."""
        return self.filter_queryset(self.queryset.all(), leave_out=(*names, "sort"))

    def once(self, key, compute):
        """compute(), called once for these filters (one request's) under `key`: what two
        parts of a page read alike (a word's stories, for the list and its facets)."""
        done = self.__dict__.setdefault("_once", {})
        if key not in done:
            done[key] = compute()
        return done[key]

    @property
    def active(self):
        """The cleaned values of the filters in use, by name (the order is not a filter)."""
        data = self.form.cleaned_data
        return {
            name: data[name]
            for name in self.filters
            if name != "sort" and data.get(name) not in (None, "", [])
        }


@cache
def form_class(filterset_class):
    """django-filter's form class for `filterset_class`, made once: it made a new class, and
    new fields, for each request (0.12 ms a page), though nothing in them depends on one.
    Each form still copies the fields it uses, as every Django form does."""
    return django_filters.FilterSet.get_form_class(filterset_class(queryset=Story.objects.none()))


def filter_stories(data):
    """The published stories a query string asks for, as a bound StoryFilter: the one way the
    list, the timeline, the map and every later surface (exports, feeds, API) read filters.

    Check `is_valid()` (its form then names each bad field) before reading `.qs`. The page
    number is not a filter: the views read it with their own PageForm.
    """
    return StoryFilter(data, queryset=Story.objects.published())


def checked_filters(data):
    """`filter_stories(data)`, checked (`is_valid()` has run: read `.form.errors` first).

    The country filter's check reads the facet totals (a country is known while a published
    story is in it), so they are brought up to date before it when a country is named."""
    if "country" in data:
        facts.bring_up_to_date()
    filterset = filter_stories(data)
    filterset.is_valid()
    return filterset
