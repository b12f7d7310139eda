"""The story list's filters. Their query parameters are the public contract of /stories/."""

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Exists, F, OuterRef
from django.utils.text import slugify

from stories import search
from stories.models import City, Country, LinkedPost, Performer, Story

SORTS = {
    "-date": "Newest event first",
    "date": "Oldest event first",
    "title": "Title, A to Z",
}
MAX_PAGE = 1_000_000
MAX_WORDS_LENGTH = 200


def shown(value, limit=40):
    """A visitor's value, cut short enough to repeat in an error message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


class NaturalKeyField(forms.Field):
    """One or more rows named by slug (or, for countries, ISO code) in the query string.

    Checks the shape before asking the database, so a NUL byte or a 10,000-character
    value is a 400 rather than a database error; unknown names are a 400 too. Cleans to
    model instances, so the page can show names without another query.
    """

    def __init__(self, *, queryset, key, noun, many=False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.queryset, self.key, self.noun, self.many = queryset, key, noun, many
        self.widget = forms.MultipleHiddenInput() if many else forms.TextInput()

    def normalise(self, value):
        if self.key == "code":
            return value.upper()
        return value if value == slugify(value) else slugify(value)

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if len(values) > 20:
            raise forms.ValidationError(f"Choose at most 20 {self.noun} values.")
        cleaned = []
        for raw in values:
            if "\x00" in raw or len(raw) > 100:
                raise forms.ValidationError(f"“{shown(raw)}” is not a {self.noun} name.")
            key = self.normalise(raw)
            if not key or (self.key == "code" and not (len(key) == 2 and key.isalpha())):
                raise forms.ValidationError(f"“{shown(raw)}” is not a {self.noun} code.")
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
            raise forms.ValidationError(
                f"The archive has no {self.noun} “{shown(missing[0])}”.", code="unknown"
            )
        objects = list(dict.fromkeys(found[key] for _, key in pairs))
        return objects if self.many else objects[-1]


class NaturalKeyFilter(django_filters.Filter):
    field_class = NaturalKeyField


class StoryFilterForm(forms.Form):
    """Adds the list's own parameters (sort, page) and the checks across fields."""

    sort = forms.ChoiceField(label="Order", choices=list(SORTS.items()), required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end of the range is before its start.")
        return cleaned


class StoryFilter(django_filters.FilterSet):
    city = NaturalKeyFilter(
        queryset=City.objects.select_related("country"),
        key="slug",
        noun="city",
        many=True,
        method="filter_city",
        label="City",
    )
    country = NaturalKeyFilter(
        queryset=Country.objects.all(),
        key="code",
        noun="country",
        method="filter_country",
        label="Country",
    )
    kind = django_filters.ChoiceFilter(
        field_name="kind", lookup_expr="exact", choices=Story.Kind.choices, label="Kind of act"
    )
    performer = NaturalKeyFilter(
        queryset=Performer.objects.all(),
        key="slug",
        noun="performer",
        method="filter_performer",
        label="Performer",
    )
    platform = django_filters.ChoiceFilter(
        choices=LinkedPost.Platform.choices, method="filter_platform", label="Posted on"
    )
    date_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte", label="From")
    date_before = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="Until"
    )
    q = django_filters.CharFilter(
        method="filter_words",
        label="Words",
        max_length=MAX_WORDS_LENGTH,
        validators=[ProhibitNullCharactersValidator()],
    )

    class Meta:
        model = Story
        fields = []
        form = StoryFilterForm

    # A story "has" a city, performer or platform through a many-valued relation: Exists()
    # keeps one row per story without DISTINCT.
    def filter_city(self, queryset, name, cities):
        through = Story.cities.through.objects.filter(story=OuterRef("pk"), city__in=cities)
        return queryset.filter(Exists(through))

    def filter_country(self, queryset, name, country):
        by_city = Story.cities.through.objects.filter(story=OuterRef("pk"), city__country=country)
        by_region = Story.regions.through.objects.filter(
            story=OuterRef("pk"), region__country=country
        )
        directly = Story.countries.through.objects.filter(story=OuterRef("pk"), country=country)
        return queryset.filter(Exists(by_city) | Exists(by_region) | Exists(directly))

    def filter_performer(self, queryset, name, performer):
        through = Story.performers.through.objects.filter(story=OuterRef("pk"), performer=performer)
        return queryset.filter(Exists(through))

    def filter_platform(self, queryset, name, platform):
        posts = LinkedPost.objects.filter(story=OuterRef("pk"), platform=platform)
        return queryset.filter(Exists(posts))

    def filter_words(self, queryset, name, words):
        return search.matching(queryset, words)

    def filter_queryset(self, queryset, *, leave_out=()):
        """The filtered stories; `leave_out` names filters to ignore (for facet counts)."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters and name not in leave_out:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def without(self, *names):
        """The stories every filter but `names` keeps: what a facet for `names` counts."""
        return self.filter_queryset(self.queryset.all(), leave_out=names)

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            self._qs = self.ordered(self.filter_queryset(self.queryset.all()))
        return self._qs

    def ordered(self, queryset):
        sort = self.form.cleaned_data.get("sort")
        words = self.form.cleaned_data.get("q")
        if sort == "title":
            return queryset.order_by("title", "pk")
        if sort == "date":
            return queryset.order_by(F("start_date").asc(nulls_last=True), "title", "pk")
        if words and not sort:
            return search.by_relevance(queryset, words)
        return queryset.order_by(F("start_date").desc(nulls_last=True), "title", "pk")

    @property
    def active(self):
        """The cleaned values of the filters in use, by name."""
        data = self.form.cleaned_data
        return {name: data[name] for name in self.filters if data.get(name) not in (None, "", [])}
