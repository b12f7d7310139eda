"""The archive's data model: places, people, sources, stories and the posts that documented them."""

import contextlib
import datetime
from urllib.parse import urlsplit

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Cast
from django.db.models.query import ModelIterable
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Only web addresses: no ftp:, no javascript:, no data:.
http_url = URLValidator(
    schemes=["http", "https"], message=_("Enter an http:// or https:// address.")
)

# The days a story or a post may be dated: the archive covers the COVID-19 lockdowns (the
# first of them in early 2020), with room before for the pandemic's first weeks and after for
# its later waves and remembrances. The bounds keep every date far from the ends of the
# calendar (1 January of the year 1, 31 December 9999), where date arithmetic overflows.
# docs/architecture.md ("Dates") says why these bounds. Change the message with them.
FIRST_DAY = datetime.date(2019, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
DATE_RANGE_MESSAGE = _("Dates must fall between 1 January 2019 and 31 December 2099.")
in_date_range = [
    MinValueValidator(FIRST_DAY, message=DATE_RANGE_MESSAGE),
    MaxValueValidator(LAST_DAY, message=DATE_RANGE_MESSAGE),
]


def date_range_condition(*fields):
    """Each of `fields` empty or from FIRST_DAY to LAST_DAY: a check constraint's condition."""
    condition = Q()
    for name in fields:
        condition &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (FIRST_DAY, LAST_DAY)})
    return condition


class SlugQuerySet(models.QuerySet):
    """Looks rows up by their slug, the natural key fixtures and exports use."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


# The public gates. `Story.objects.published()` is the one gate for stories; every other
# model a visitor may see has one `visible()` gate, admitting exactly what a published story
# links: a city, region, country or performer, a source, a post. A row no published story
# links (one only a draft, a story in review or a withdrawn story names, or one a contributor
# has just created) is not public: every page, filter, count, feed and export starts from
# these gates and answers for it exactly as for a key that does not exist. Each gate is an
# EXISTS over the story's link table, served by the index on the link's foreign key, so it
# costs no extra query and no DISTINCT.


class CountryQuerySet(models.QuerySet):
    def get_by_natural_key(self, code):
        return self.get(code=code)

    def visible(self):
        """Countries a published story is in, through a city, a region or the country itself
        (the same paths as `StoryQuerySet.in_countries`, so that the `country` filter admits
        exactly the countries whose stories it can list)."""
        published = Story.objects.published().values("pk")
        links = (
            through.objects.filter(story__in=published, **{path: OuterRef("pk")})
            for through, path in story_country_paths()
        )
        return self.filter(_any_exists(links))

    def counted(self):
        """The visible countries, read from the facet totals (stories/facts.py), which name
        exactly those: one index lookup a country, where `visible()` checks three paths of
        links (95 ms for Italy at 100,000 stories on SQLite). The caller brings the totals
        up to date first (`facts.bring_up_to_date()`)."""
        totals = FacetTotal.objects.filter(
            facet="country", key=Cast(OuterRef("pk"), models.CharField())
        )
        return self.filter(Exists(totals))


class Country(models.Model):
    code = models.CharField(
        verbose_name=_("code"),
        max_length=2,
        help_text=_("ISO 3166-1 alpha-2 code in capitals, for example IT or ES."),
    )
    name = models.CharField(
        verbose_name=_("name"), max_length=100, help_text=_("The English short name.")
    )

    objects = CountryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="stories_country_unique_code"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}$"),
                name="stories_country_code_iso_alpha2",
                violation_error_message=_("The code must be two capital letters (ISO 3166-1)."),
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class RegionQuerySet(SlugQuerySet):
    def visible(self):
        """Regions a published story names, directly or through one of its cities (a story
        placed only in a country makes none of its regions visible)."""
        published = Story.objects.published()
        return self.filter(
            Exists(published.filter(regions=OuterRef("pk")))
            | Exists(published.filter(cities__region=OuterRef("pk")))
        )


class Region(models.Model):
    """A first-level division of a country (Sicily, Andalusia): a place in its own right."""

    name = models.CharField(verbose_name=_("name"), max_length=100)
    slug = models.SlugField(verbose_name=_("slug"), max_length=100)
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="regions"
    )

    objects = RegionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="stories_region_unique_slug"),
        ]

    def __str__(self):
        # Translators: a region and its country: "Sicily, Italy".
        return gettext("%(region)s, %(country)s") % {"region": self.name, "country": self.country}

    def get_absolute_url(self):
        return reverse("browse:region", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["stories.country"]


class CityQuerySet(SlugQuerySet):
    def visible(self):
        """Cities at least one published story is in (a story placed only in a region or a
        country makes none of its cities visible)."""
        return self.filter(Exists(Story.objects.published().filter(cities=OuterRef("pk"))))

    def with_story_counts(self, stories):
        """The cities of `stories`, each with `story_count`, in one GROUP BY. Given published
        stories, these are exactly the visible cities, with their counts."""
        return self.filter(stories__in=stories).annotate(story_count=models.Count("stories"))


class City(models.Model):
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        help_text=_("The English name, as visitors know it."),
    )
    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=100,
        help_text=_(
            "Lower-case English name (florence). Where two cities share a name, "
            "add the country code (valencia-ve)."
        ),
    )
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="cities"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="cities",
        null=True,
        blank=True,
    )
    latitude = models.DecimalField(
        verbose_name=_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        verbose_name=_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    geonames_id = models.PositiveIntegerField(
        verbose_name=_("geonames id"),
        null=True,
        blank=True,
        help_text=_("The city's id in GeoNames, where known."),
    )

    objects = CityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="stories_city_unique_slug"),
            models.UniqueConstraint(fields=["geonames_id"], name="stories_city_unique_geonames_id"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="stories_city_coordinates_valid",
                violation_error_message=_(
                    "Give both latitude (-90 to 90) and longitude (-180 to 180), or neither."
                ),
            ),
        ]
        indexes = [
            # The city list groups cities by country: WHERE country_id = ... ORDER BY name.
            models.Index(fields=["country", "name"], name="stories_city_country_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("browse:city", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["stories.country", "stories.region"]


class PerformerQuerySet(SlugQuerySet):
    def visible(self):
        """Performers at least one published story names."""
        return self.filter(Exists(Story.objects.published().filter(performers=OuterRef("pk"))))


class Performer(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group")
        CROWD = "crowd", _("Crowd of residents")

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
        help_text=_(
            "The name the sources give. For someone unnamed, describe them "
            "(“Unidentified DJ in Palermo”) and untick “identified”."
        ),
    )
    slug = models.SlugField(verbose_name=_("slug"), max_length=200)
    kind = models.CharField(
        verbose_name=_("kind"), max_length=20, choices=Kind, default=Kind.INDIVIDUAL
    )
    role = models.CharField(
        verbose_name=_("role"),
        max_length=100,
        blank=True,
        help_text=_("What they did, in words: tenor, DJ, fitness trainer."),
    )
    identified = models.BooleanField(
        verbose_name=_("identified"),
        default=True,
        help_text=_("Untick when the sources do not name this performer. Never guess a name."),
    )

    objects = PerformerQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("performer")
        verbose_name_plural = _("performers")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="stories_performer_unique_slug"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("browse:performer", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class SourceArticleQuerySet(SlugQuerySet):
    def visible(self):
        """Source articles at least one published story cites."""
        return self.filter(Exists(Story.objects.published().filter(sources=OuterRef("pk"))))

    def kept_forever(self):
        """Source articles a story that has been published cites (even if it was later
        withdrawn or reopened): the archive's record, never deleted with its citations."""
        return self.filter(Exists(Story.objects.kept_forever().filter(sources=OuterRef("pk"))))

    def delete(self):
        with transaction.atomic():
            refuse_to_delete_cited_sources(self)
            return super().delete()


class SourceArticle(models.Model):
    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=200,
        help_text=_("A stable identifier, for example article-2020-03-16."),
    )
    title = models.CharField(
        verbose_name=_("title"), max_length=300, blank=True, help_text=_("Leave empty if unknown.")
    )
    outlet = models.CharField(
        verbose_name=_("outlet"), max_length=200, blank=True, help_text=_("Leave empty if unknown.")
    )
    url = models.URLField(
        verbose_name=_("url"),
        max_length=500,
        blank=True,
        validators=[http_url],
        help_text=_("Leave empty if unknown."),
    )
    published_on = models.DateField(verbose_name=_("published on"), null=True, blank=True)
    excerpt = models.TextField(
        verbose_name=_("excerpt"), blank=True, help_text=_("The text of the article, as archived.")
    )

    objects = SourceArticleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "slug"]
        verbose_name = _("source article")
        verbose_name_plural = _("source articles")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="stories_source_unique_slug"),
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="stories_source_unique_url"
            ),
        ]

    def __str__(self):
        """The title, with the day it was published; an article whose title nobody recorded
        is named for what it is, never "Untitled": "A news article of 16 March 2020"."""
        day = date_format(self.published_on, "j F Y") if self.published_on else ""
        if not self.title:
            if self.outlet and day:
                return gettext("An article in %(outlet)s of %(date)s") % {
                    "outlet": self.outlet,
                    "date": day,
                }
            if self.outlet:
                return gettext("An article in %(outlet)s") % {"outlet": self.outlet}
            if day:
                return gettext("A news article of %(date)s") % {"date": day}
            return gettext("A news article, date unknown")
        if day:
            # Translators: a source article and the day it was published: "Title (16 March 2020)".
            return gettext("%(article)s (%(date)s)") % {"article": self.title, "date": day}
        return self.title

    def natural_key(self):
        return (self.slug,)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            refuse_to_delete_cited_sources(SourceArticle.objects.filter(pk=self.pk))
            return super().delete(*args, **kwargs)


def refuse_to_delete_cited_sources(sources):
    """Raise ProtectedError, naming the stories, if a story that has been published cites any
    of `sources` (a queryset): the archive is the record, and its citations stay. Call it in
    the transaction that deletes: it locks the stories citing them, so none is published
    (which needs a source) while its sources are being deleted."""
    citing = Story.objects.citing(sources).select_for_update().order_by("pk")
    kept = sorted(
        (story for story in citing.only("pk", "title", "published_at") if story.is_kept_forever),
        key=lambda story: (story.title, story.pk),
    )
    if kept:
        # Translators: between the titles of stories in an error message.
        titles = pgettext("list of names", ", ").join(
            gettext("“%(story)s”") % {"story": story} for story in kept
        )
        raise models.ProtectedError(
            ngettext(
                "A story that has been published keeps its sources forever: %(stories)s.",
                "Stories that have been published keep their sources forever: %(stories)s.",
                len(kept),
            )
            % {"stories": titles},
            set(kept),
        )


def story_country_paths():
    """How a story is in a country, as (through model, path from it to the country): through
    one of its cities, one of its regions, or the country itself. The one definition behind
    `in_countries`, `Country.objects.visible()` and `story_country_pairs()`."""
    return [
        (Story.cities.through, "city__country"),
        (Story.regions.through, "region__country"),
        (Story.countries.through, "country"),
    ]


def story_country_pairs():
    """Every (story id, country id) a story is in, one row per path (a story in Madrid and
    Granada gives Spain twice): for counts that GROUP BY country over many stories, as the
    country facet and the map do."""
    first, *others = (
        through.objects.annotate(place_country=F(path)).values_list("story_id", "place_country")
        for through, path in story_country_paths()
    )
    return first.union(*others, all=True)


def _any_exists(querysets):
    condition = Q()
    for queryset in querysets:
        condition |= Exists(queryset)
    return condition


# Stories that were never public: only these may ever be deleted.
NEVER_PUBLISHED = Q(published_at__isnull=True)


def attach_places(stories):
    """Give each of `stories` its `card_places`: what its card, and its page, say of where it
    happened: its cities, else its regions, else its countries, by name, as [(name, address
    of its page, or None for a country)]. One query for the cities, then one for the regions
    of the stories with none, then one for the countries of those with neither: usually one.

    Not prefetch_related() of the three relations: that made a model and a related manager
    for each story and relation, 5.7 ms for 20 stories at a million (2.6 so). One reverse()
    a relation, the slug put in its place: one a place took 0.15 ms of 2.7 for 20 stories
    (21 places) at 100,000."""
    left = {story.pk for story in stories}
    found = {}
    for relation, url_name in (("cities", "browse:city"), ("regions", "browse:region")):
        if not left:
            break
        through = getattr(Story, relation).through
        place = "city" if relation == "cities" else "region"
        rows = (
            through.objects.filter(story_id__in=left)
            .order_by(f"{place}__name", f"{place}_id")
            .values_list("story_id", f"{place}__name", f"{place}__slug")
        )
        # (A slug is letters, digits, hyphens and underscores: nothing to quote.)
        before, _, after = reverse(url_name, args=["slug"]).rpartition("slug")
        for story_id, name, slug in rows:
            found.setdefault(story_id, []).append((name, f"{before}{slug}{after}"))
        left -= found.keys()
    if left:
        rows = (
            Story.countries.through.objects.filter(story_id__in=left)
            .order_by("country__name", "country_id")
            .values_list("story_id", "country__name")
        )
        for story_id, name in rows:
            found.setdefault(story_id, []).append((name, None))
    for story in stories:
        story.card_places = found.get(story.pk, [])
    return stories


class WithPlaces(ModelIterable):
    """StoryQuerySet.for_listing()'s rows: the stories read, then their places attached."""

    def __iter__(self):
        yield from attach_places(list(super().__iter__()))


class StoryQuerySet(models.QuerySet):
    """The query vocabulary: every page, export, feed and admin list says it with these."""

    # Newest event first, undated stories last; the title, then the id, settle ties.
    # (Served on PostgreSQL by stories_story_status_newest, from migration 0004.)
    NEWEST_FIRST = (F("start_date").desc(nulls_last=True), "title", "pk")
    OLDEST_FIRST = (F("start_date").asc(nulls_last=True), "title", "pk")

    def published(self):
        """The one gate for everything the public sees."""
        return self.filter(status=Story.Status.PUBLISHED)

    def in_countries(self, countries):
        """Stories in any of `countries` (instances, ids or a queryset), through a city, a
        region or the country itself; one row per story (Exists, no DISTINCT)."""
        links = (
            through.objects.filter(story=OuterRef("pk"), **{f"{path}__in": countries})
            for through, path in story_country_paths()
        )
        return self.filter(_any_exists(links))

    def in_cities(self, cities):
        """Stories in any of `cities` (instances, ids or a queryset)."""
        links = Story.cities.through.objects.filter(story=OuterRef("pk"), city__in=cities)
        return self.filter(Exists(links))

    def by_performers(self, performers):
        """Stories naming any of `performers` (instances, ids or a queryset)."""
        links = Story.performers.through.objects.filter(
            story=OuterRef("pk"), performer__in=performers
        )
        return self.filter(Exists(links))

    def on_platform(self, platform):
        """Stories with at least one post on `platform` (a hidden post does not count)."""
        return self.filter(
            Exists(LinkedPost.objects.filter(story=OuterRef("pk"), platform=platform, hidden=False))
        )

    def posted(self, first=None, last=None):
        """Stories with at least one post posted on a day from `first` to `last` (one post
        within both bounds); a bound left out is open. Posts without a date never match."""
        condition = Q(posted_on__isnull=False)
        if first is not None:
            condition &= Q(posted_on__gte=first)
        if last is not None:
            condition &= Q(posted_on__lte=last)
        return self.filter(Exists(LinkedPost.objects.filter(condition, story=OuterRef("pk"))))

    def covering(self, first=None, last=None):
        """Stories under way on at least one day from `first` to `last` (one day: `covering(day,
        day)`); a bound left out is open. Undated stories never match a bound."""
        condition = Q()
        if last is not None:
            condition &= Q(start_date__lte=last)
        if first is not None:
            condition &= Q(end_date__gte=first)
        return self.filter(condition)

    def newest_first(self):
        return self.order_by(*self.NEWEST_FIRST)

    def oldest_first(self):
        return self.order_by(*self.OLDEST_FIRST)

    def newest_published_first(self):
        """Newest in the archive first: by the time a story was first published (feeds)."""
        return self.order_by(F("published_at").desc(), "-pk")

    def for_listing(self):
        """What a story card shows (its places: `attach_places()`), without a query per
        story."""
        clone = self._chain()
        clone._iterable_class = WithPlaces
        return clone

    def citing(self, sources):
        """Stories citing any of `sources` (instances, ids or a queryset)."""
        links = Story.sources.through.objects.filter(
            story=OuterRef("pk"), sourcearticle__in=sources
        )
        return self.filter(Exists(links))

    def deletable(self):
        """Stories that were never public: only these may ever be deleted."""
        return self.filter(NEVER_PUBLISHED)

    def kept_forever(self):
        """Stories that have been published (even if later withdrawn): never deleted."""
        return self.exclude(NEVER_PUBLISHED)

    def delete(self):
        kept = self.kept_forever()
        if kept.exists():
            raise models.ProtectedError(
                gettext(
                    "Stories that have been published are kept forever; only drafts can be deleted."
                ),
                set(kept),
            )
        return super().delete()

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Story(models.Model):
    class Kind(models.TextChoices):
        MUSIC = "music", _("Music")
        APPLAUSE = "applause", _("Applause")
        WORKOUT = "workout", _("Workout")
        DJ_SET = "dj-set", _("DJ set")
        OTHER = "other", _("Other")

    class DateBasis(models.TextChoices):
        SOURCE = "source", _("As the source gives it")
        INFERRED = "inferred", _("Inferred by a curator")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(verbose_name=_("title"), max_length=300)
    slug = models.SlugField(verbose_name=_("slug"), max_length=200)
    summary = models.TextField(
        verbose_name=_("summary"),
        blank=True,
        help_text=_("One or two sentences for lists and feeds."),
    )
    body = models.TextField(
        verbose_name=_("body"), blank=True, help_text=_("The story in full, in Markdown.")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Kind, default=Kind.OTHER)
    start_date = models.DateField(
        verbose_name=_("start date"),
        null=True,
        blank=True,
        validators=in_date_range,
        help_text=_(
            "The day it happened, or the first day. Leave empty when no source "
            "dates it; never guess."
        ),
    )
    end_date = models.DateField(
        verbose_name=_("end date"),
        null=True,
        blank=True,
        validators=in_date_range,
        help_text=_("The last day. The same as the start for a single day."),
    )
    # Where the dates come from. Added with a database default (migration 0021) so that the
    # column is added in place, without rebuilding the table and its triggers on SQLite.
    dates_from = models.CharField(
        verbose_name=_("dates from"),
        max_length=10,
        choices=DateBasis,
        default=DateBasis.SOURCE.value,
        db_default=DateBasis.SOURCE.value,
        help_text=_(
            "“As the source gives it” when a source states the day; “inferred by a curator” "
            "when you worked it out (from a post's date, a weekday the text names, …). The "
            "public story page then says the date was inferred by the archive's curators."
        ),
    )
    dates_note = models.TextField(
        verbose_name=_("how the dates were inferred"),
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "For curators, required when the dates are inferred: what they were inferred "
            "from and what is uncertain. Not shown to the public."
        ),
    )
    cities = models.ManyToManyField(
        City, verbose_name=_("cities"), blank=True, related_name="stories"
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        blank=True,
        related_name="stories",
        help_text=_("Use when the sources name a region but no city (a DJ “in Sicily”)."),
    )
    countries = models.ManyToManyField(
        Country,
        verbose_name=_("countries"),
        blank=True,
        related_name="stories",
        help_text=_("Use when the sources name a country but no city or region."),
    )
    performers = models.ManyToManyField(
        Performer, verbose_name=_("performers"), blank=True, related_name="stories"
    )
    sources = models.ManyToManyField(
        SourceArticle, verbose_name=_("sources"), blank=True, related_name="stories"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=Status, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        verbose_name=_("published at"),
        null=True,
        blank=True,
        help_text=_("Set when the story is first published."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    curator_notes = models.TextField(
        verbose_name=_("curator notes"),
        blank=True,
        help_text=_(
            "Private to curators: what is unknown, how a date was inferred, what to check."
        ),
    )
    search_vector = SearchVectorField(
        verbose_name=_("search vector"),
        null=True,
        editable=False,
        help_text=_("Kept up to date by database triggers on PostgreSQL (see stories/search.py)."),
    )

    objects = StoryQuerySet.as_manager()
    # One version per save, with the places, performers and sources at that moment.
    history = HistoricalRecords(
        m2m_fields=[cities, regions, countries, performers, sources],
        excluded_fields=["search_vector"],
    )

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        permissions = [("publish_story", "Can publish and withdraw stories")]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="stories_story_unique_slug"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="stories_story_dates_ordered",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True, end_date__isnull=True)
                | Q(start_date__isnull=False, end_date__isnull=False),
                name="stories_story_dates_both_or_neither",
                violation_error_message=_(
                    "Give both a start and an end date (the same day "
                    "for a one-day event), or neither when the date is unknown."
                ),
            ),
            models.CheckConstraint(
                condition=date_range_condition("start_date", "end_date"),
                name="stories_story_dates_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review"]) | Q(published_at__isnull=False),
                name="stories_story_published_has_timestamp",
                violation_error_message=_(
                    "A published or withdrawn story needs its publication time."
                ),
            ),
        ]
        indexes = [
            # Public lists: WHERE status = 'published' ORDER BY start_date DESC, title.
            # (PostgreSQL also gets stories_story_status_newest, DESC NULLS LAST, from
            # migration 0004: SQLite cannot index NULLS LAST but sorts NULLs last anyway.)
            models.Index(
                "status", F("start_date").desc(), "title", name="stories_story_status_start"
            ),
            # Feeds: WHERE status = 'published' ORDER BY published_at DESC, id DESC LIMIT 50.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="stories_story_published_newest",
                condition=Q(status="published"),
            ),
            # Date-range overlap filters and day pages: start_date <= X AND end_date >= Y.
            models.Index(fields=["start_date", "end_date"], name="stories_story_date_range"),
            # Text search on the story list: WHERE search_vector @@ websearch_to_tsquery(...).
            GinIndex(fields=["search_vector"], name="stories_story_search"),
            # The archive version behind ETags: SELECT max(updated_at) FROM stories_story.
            models.Index(fields=["updated_at"], name="stories_story_updated"),
            # Stories a bulk load left out of the search index, for the batches that fill it
            # in (WHERE search_vector IS NULL AND id > ... ORDER BY id LIMIT ...) and the
            # story list's "search is catching up" count. Empty once search is complete.
            models.Index(
                fields=["id"],
                name="stories_story_unindexed",
                condition=Q(search_vector__isnull=True),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("browse:story", args=[self.slug])

    @property
    def kind_label(self):
        """get_kind_display(), without its making every kind's label hashable on each call
        (a translation each: 0.9 ms of the 4.6 a page's 20 cards took)."""
        return dict(self.Kind.choices).get(self.kind, self.kind)

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = [
        "stories.city",
        "stories.region",
        "stories.country",
        "stories.performer",
        "stories.sourcearticle",
    ]

    def clean(self):
        if self.start_date and not self.end_date:
            self.end_date = self.start_date
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": gettext("The end date cannot be before the start date.")}
            )
        if self.dates_from == Story.DateBasis.INFERRED and not self.dates_note.strip():
            raise ValidationError({"dates_note": gettext("Say how the dates were inferred.")})

    @property
    def dates_inferred(self):
        """Whether a curator inferred the story's dates (the page says so)."""
        return self.dates_from == Story.DateBasis.INFERRED

    def delete(self, *args, **kwargs):
        if self.is_kept_forever:
            raise models.ProtectedError(
                gettext("“%(story)s” has been published; it can be withdrawn but never deleted.")
                % {"story": self},
                {self},
            )
        return super().delete(*args, **kwargs)

    @property
    def is_kept_forever(self):
        """Once published (even if later withdrawn or reopened), a story is never deleted."""
        return self.published_at is not None


# A hidden post, in the SQL of what the database derives from posts (the facet rows, the
# search documents, the revision triggers). Migrations older than 0021, which added the
# column, run that code against a table without it, and do so in `before_hidden_posts()`;
# 0021 installs the triggers again with it.
POST_HIDDEN_COLUMNS = ["hidden"]


def shown_post(alias):
    """SQL: the post `alias` is one the public may see (it is not hidden)."""
    return f"NOT {alias}.hidden" if POST_HIDDEN_COLUMNS else "1 = 1"


@contextlib.contextmanager
def before_hidden_posts():
    """For migrations before 0021: the derived SQL without the `hidden` column."""
    POST_HIDDEN_COLUMNS.clear()
    try:
        yield
    finally:
        POST_HIDDEN_COLUMNS[:] = ["hidden"]


class LinkedPostQuerySet(models.QuerySet):
    def get_by_natural_key(self, story_slug, position):
        return self.get(story__slug=story_slug, position=position)

    def visible(self):
        """The posts the public may see: those of published stories that are not hidden."""
        return self.filter(hidden=False, story__in=Story.objects.published().values("pk"))


def platform_from_url(url):
    """The platform a post or media link belongs to, judged by its host; '' if unknown."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    for domain, platform in PLATFORM_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return ""


class LinkedPost(models.Model):
    class Platform(models.TextChoices):
        TWITTER = "twitter", _("Twitter")
        FACEBOOK = "facebook", _("Facebook")
        INSTAGRAM = "instagram", _("Instagram")
        YOUTUBE = "youtube", _("YouTube")
        TIKTOK = "tiktok", _("TikTok")
        OTHER = "other", _("Other")

    story = models.ForeignKey(
        Story, verbose_name=_("story"), on_delete=models.CASCADE, related_name="posts"
    )
    position = models.PositiveSmallIntegerField(
        verbose_name=_("position"),
        default=1,
        help_text=_("Order of the post within its story, from 1."),
    )
    platform = models.CharField(
        verbose_name=_("platform"),
        max_length=20,
        choices=Platform,
        blank=True,
        help_text=_("Derived from the URL (or the media link) when left empty."),
    )
    url = models.URLField(
        verbose_name=_("url"),
        max_length=500,
        blank=True,
        validators=[http_url],
        help_text=_("The post's own address. Leave empty if the sources do not give it."),
    )
    author_name = models.CharField(verbose_name=_("author name"), max_length=200, blank=True)
    handle = models.CharField(
        verbose_name=_("handle"), max_length=100, blank=True, help_text=_("Without the “@”.")
    )
    posted_on = models.DateField(
        verbose_name=_("posted on"),
        null=True,
        blank=True,
        validators=in_date_range,
        help_text=_("The day the post was published (not the event's day)."),
    )
    text = models.TextField(
        verbose_name=_("text"), blank=True, help_text=_("The post's text, exactly as archived.")
    )
    media_url = models.URLField(
        verbose_name=_("media link"),
        max_length=500,
        blank=True,
        validators=[http_url],
        help_text=_("For example a pic.twitter.com link."),
    )
    reach = models.CharField(
        verbose_name=_("reach"),
        max_length=300,
        blank=True,
        help_text=_("Reported reach in the source's words: “viewed more than 4 million times”."),
    )
    reach_count = models.PositiveBigIntegerField(
        verbose_name=_("reach count"),
        null=True,
        blank=True,
        help_text=_("The reported reach as a number, where one is given."),
    )
    hidden = models.BooleanField(
        verbose_name=_("hidden from the public"),
        default=False,
        help_text=_(
            "The post stays in the archive, for editors, with its copies; visitors no longer "
            "see it anywhere (story page, search, counts, API, feeds, downloads)."
        ),
    )
    hidden_reason = models.TextField(
        verbose_name=_("why it is hidden"),
        blank=True,
        # (a default, so that archives written before the field load: docs/archive-format.md)
        default="",
        help_text=_("Required when the post is hidden: a takedown request, personal data, …"),
    )

    objects = LinkedPostQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["story", "position"]
        verbose_name = _("linked post")
        verbose_name_plural = _("linked posts")
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="stories_post_unique_url"
            ),
            models.UniqueConstraint(
                fields=["story", "position"], name="stories_post_unique_position"
            ),
            # normalise() strips the "@"; this holds for bulk loads and raw SQL too.
            models.CheckConstraint(
                condition=~Q(handle__startswith="@"),
                name="stories_post_handle_without_at",
                violation_error_message=_(
                    "Give the handle without the “@”: MuhammadLila, not @MuhammadLila."
                ),
            ),
            models.CheckConstraint(
                condition=date_range_condition("posted_on"),
                name="stories_post_date_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="stories_post_hidden_with_reason",
                violation_error_message=_("Say why the post is hidden."),
            ),
        ]
        indexes = [
            # The platform facet and filter: WHERE platform = ... (joined to the story).
            models.Index(fields=["platform", "story"], name="stories_post_platform_story"),
            # The posted-date filters (`posted()`): WHERE posted_on BETWEEN ... (to the story).
            models.Index(fields=["posted_on", "story"], name="stories_post_posted_story"),
        ]

    def __str__(self):
        if self.handle:
            return gettext("Post by @%(handle)s") % {"handle": self.handle}
        if self.author_name:
            return gettext("Post by %(author)s") % {"author": self.author_name}
        return gettext("Post by unknown author")

    def natural_key(self):
        return (*self.story.natural_key(), self.position)

    natural_key.dependencies = ["stories.story"]

    @staticmethod
    def derived_platform(url, media_url=""):
        """The platform a post belongs to, judged by its own URL, else by its media link;
        '' when neither is a known platform's address."""
        return platform_from_url(url) or platform_from_url(media_url)

    def normalise(self):
        """Put the handle and platform in the archive's form, before a post is saved: the
        handle without spaces around it or a leading "@", and a platform left empty derived
        from the URL or media link (`derived_platform`). A platform given is kept.

        save() does not call this; whatever writes posts one at a time does: the admin
        through clean(), the tests' factories directly, and the article importer takes the
        platform from `derived_platform` (its handles never carry an "@"). Bulk loads do
        not: the archive format carries each post's platform explicitly, and a load gives
        back the archive as it was exported. On every path the database refuses a handle
        that starts with "@" (stories_post_handle_without_at).
        """
        self.handle = self.handle.strip().removeprefix("@")
        if not self.platform:
            self.platform = self.derived_platform(self.url, self.media_url)

    def clean(self):
        self.normalise()
        errors = {}
        derived = platform_from_url(self.url)
        if derived and self.platform and self.platform != derived:
            errors["platform"] = gettext(
                "The URL is a %(platform)s address; choose %(platform)s or leave the platform "
                "empty."
            ) % {"platform": LinkedPost.Platform(derived).label}
        if self.posted_on and self.posted_on > timezone.localdate():
            errors["posted_on"] = gettext("The posted date cannot be in the future.")
        if self.hidden and not self.hidden_reason.strip():
            errors["hidden_reason"] = gettext(
                "Say why the post is hidden (a takedown request, personal data, …): the "
                "reason stays with the post, for the editors who come after you."
            )
        if self.url:
            holder = (
                LinkedPost.objects.filter(url=self.url)
                .exclude(pk=self.pk)
                .select_related("story")
                .first()
            )
            if holder is not None:
                errors["url"] = gettext(
                    "This post is already in the archive, in the story “%(story)s”."
                ) % {"story": holder.story}
        if errors:
            raise ValidationError(errors)


PLATFORM_DOMAINS = {
    "twitter.com": LinkedPost.Platform.TWITTER,
    "x.com": LinkedPost.Platform.TWITTER,
    "t.co": LinkedPost.Platform.TWITTER,
    "facebook.com": LinkedPost.Platform.FACEBOOK,
    "fb.watch": LinkedPost.Platform.FACEBOOK,
    "instagram.com": LinkedPost.Platform.INSTAGRAM,
    "youtube.com": LinkedPost.Platform.YOUTUBE,
    "youtu.be": LinkedPost.Platform.YOUTUBE,
    "tiktok.com": LinkedPost.Platform.TIKTOK,
}


class LoadRecord(models.Model):
    """One bulk load (load_archive, generate_archive): bulk loads skip per-row history, so
    this is the record of what came in, when and from where."""

    command = models.CharField(
        verbose_name=_("command"), max_length=50, help_text=_("The management command that loaded.")
    )
    source = models.CharField(
        verbose_name=_("source"),
        max_length=500,
        help_text=_("Where the rows came from: a file path, or the generator's seed."),
    )
    started_at = models.DateTimeField(
        verbose_name=_("started at"),
    )
    finished_at = models.DateTimeField(
        verbose_name=_("finished at"),
    )
    counts = models.JSONField(
        verbose_name=_("counts"),
        default=dict,
        help_text=_('Rows written, by model: {"stories.story": 1000, ...}.'),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("load record")
        verbose_name_plural = _("load records")
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__gte=F("started_at")),
                name="stories_loadrecord_times_ordered",
            ),
        ]

    def __str__(self):
        # Translators: a bulk load: "load_archive from archive.jsonl at 2020-03-16 09:30".
        return gettext("%(command)s from %(source)s at %(time)s") % {
            "command": self.command,
            "source": self.source,
            "time": f"{self.started_at:%Y-%m-%d %H:%M}",
        }


class StoryFacet(models.Model):
    """One thing a published story is counted under (stories/facts.py): derived, rebuilt
    from the stories at will, never edited."""

    pk = models.CompositePrimaryKey("story_id", "facet", "key")
    story_id = models.IntegerField()
    facet = models.CharField(max_length=12)
    key = models.CharField(max_length=20)
    weight = models.IntegerField(default=1)
    start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    kind = models.CharField(max_length=20)

    class Meta:
        indexes = [
            models.Index(
                fields=["facet", "key", "kind", "start_date", "end_date", "story_id", "weight"],
                name="stories_storyfacet_select",
            ),
            models.Index(  # (facts.FACET_INDEXES says why)
                fields=["facet", "key", "end_date", "start_date", "kind", "story_id"],
                condition=models.Q(facet__in=["story", "country", "platform"]),
                name="stories_storyfacet_ending",
            ),
        ]

    def __str__(self):
        return f"{self.facet}:{self.key} of story {self.story_id}"


class FacetTotal(models.Model):
    """The sum of the weights of one facet key over every published story."""

    pk = models.CompositePrimaryKey("facet", "key")
    facet = models.CharField(max_length=12)
    key = models.CharField(max_length=20)
    total = models.BigIntegerField()

    class Meta:
        indexes = [
            # A facet's busiest keys, as the unfiltered list shows them: the first 500 of
            # 130,000 performers read in order, not sorted (24 to 46 ms at a million).
            models.Index(fields=["facet", "-total", "key"], name="stories_facettotal_busiest"),
        ]

    def __str__(self):
        return f"{self.facet}:{self.key} = {self.total}"


class FacetSpan(models.Model):
    """Of the published stories counted under one wide facet key (`facts.SPAN_FACETS`: every
    story, a country, a platform), with one kind: how many start on `day`, and how many end
    on it. A date range's stories are then two sums, not a walk through a country's rows:
    those starting by its last day, less those ending before its first."""

    pk = models.CompositePrimaryKey("facet", "key", "kind", "day")
    facet = models.CharField(max_length=12)
    key = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    day = models.DateField()
    starts = models.BigIntegerField()
    ends = models.BigIntegerField()

    def __str__(self):
        return (
            f"{self.facet}:{self.key} {self.kind} on {self.day}: {self.starts} in, {self.ends} out"
        )


class FacetPending(models.Model):
    """A story whose facet rows a change may have altered, noted by a trigger and consumed
    by `facts.bring_up_to_date()`."""

    story_id = models.IntegerField()

    def __str__(self):
        return f"story {self.story_id}"


class FullTextDocument(models.TextField):
    """The hidden column of an SQLite FTS5 table, named after the table: the one `MATCH`
    (lookup `match`) and the ranking functions (`bm25()`) take."""


@FullTextDocument.register_lookup
class Match(models.Lookup):
    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class StorySearchDocument(models.Model):
    """A published story's row in the SQLite full-text index, the FTS5 table
    `stories_story_fts` (migration 0013, SQLite only; stories/search.py keeps it). Unmanaged:
    the model exists so that a story list can join the index (`search_document`) and rank by
    it; nothing writes through it, and on PostgreSQL it has no table."""

    story = models.OneToOneField(
        Story,
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = FullTextDocument(db_column="stories_story_fts")

    class Meta:
        managed = False
        db_table = "stories_story_fts"

    def __str__(self):
        return f"search document of story {self.story_id}"
