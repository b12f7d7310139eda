"""Public pages. Each starts from the public gates, `Story.objects.published()` and the
`visible()` of places, performers and posts, and is cacheable (see caching.py)."""

import datetime
import operator
import string
from functools import partial, reduce, wraps

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import EmptyPage, Paginator
from django.db.models import (
    CharField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Substr, Upper
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from browse import facets, maps, timeline
from browse.caching import cached, public_page
from browse.filters import MAX_PAGE, SORTS, checked_filters
from preservation.models import ArchivedCopy, LinkCheck
from stories import facts, search
from stories.models import (
    City,
    Country,
    FacetTotal,
    LinkedPost,
    Performer,
    Region,
    Story,
    StoryFacet,
    attach_places,
)

STORIES_PER_PAGE = 20
NEWEST_ON_HOME = 6
RELATED = 6


class PageForm(forms.Form):
    page = forms.IntegerField(
        label=gettext_lazy("Page"), min_value=1, max_value=MAX_PAGE, required=False
    )


class CountedPaginator(Paginator):
    """A paginator told its count (from the cache) instead of asking the database.

    Beyond the first DEFER_AFTER stories, a page's stories are found by their ids first
    (a deferred join): the database skips the stories before the page in an index of the
    order, where an OFFSET on whole rows read every skipped story from the table (page 3,000
    of a million stories: 6.6 s with the table not in memory, 75 ms through the index)."""

    DEFER_AFTER = 5 * STORIES_PER_PAGE

    def __init__(self, *args, count=None, **kwargs):
        super().__init__(*args, **kwargs)
        if count is not None:
            self.count = count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom < self.DEFER_AFTER or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # (The same queryset, so the same order and prefetches, over the page's ids.)
        return self._get_page(list(self.object_list.filter(pk__in=ids)), number, self)


def page_number(request):
    """The page number `filtered` or `paged` has checked (1 if none)."""
    form = PageForm(request.GET)
    return (form.cleaned_data["page"] if form.is_valid() else None) or 1


def paginate(request, queryset, count=None):
    """A page of `queryset`, at the page number `filtered` or `paged` has checked; one past
    the end is a 404."""
    number = page_number(request)
    try:
        return CountedPaginator(queryset, STORIES_PER_PAGE, count=count).page(number)
    except EmptyPage as exc:
        raise Http404(_("There is no such page.")) from exc


def filtered(view):
    """For the pages over the stories a query string asks for (the list, the timeline, the
    map): the view is called with the valid StoryFilter from `filter_stories`; bad filters,
    or a bad page number, give the list's form naming each bad field, with a 400."""

    @wraps(view)
    def wrapper(request):
        # Counts start from the latest edit (stories/facts.py): brought up to date after the
        # checks (a 400 needs no counts), or before them by the country filter's own check.
        filterset = checked_filters(request.GET)
        page_form = PageForm(request.GET)
        if filterset.form.errors or not page_form.is_valid():
            return invalid_filters(request, filterset, page_form)
        if "country" not in request.GET:  # (else done by the check)
            facts.bring_up_to_date()
        return view(request, filterset)

    return wrapper


def paged(view):
    """For the pages of one city, performer or day: a bad page number gives a 400 naming
    the field. Returned, not raised, so the log gets Django's one "Bad Request" line and
    no traceback (a raised BadRequest is logged with its traceback)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        page_form = PageForm(request.GET)
        if not page_form.is_valid():
            return render(request, "400.html", {"page_form": page_form}, status=400)
        return view(request, *args, **kwargs)

    return wrapper


def invalid_filters(request, filterset, page_form):
    """The story list's form, with each offending field named, as a 400."""
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page_form": page_form,
        "sorts": SORTS,
        "given_cities": request.GET.getlist("city"),
    }
    return render(request, "browse/story_list.html", context, status=400)


@public_page
def home(request):
    published = Story.objects.published()
    facts.bring_up_to_date()

    def count():
        # The totals of the facet tables: the published stories, the visible cities and
        # countries (those a published story is in), the posts of published stories.
        found = facts.summary("story", "city", "country", "posts")
        return {
            "stories": found["story"][1],
            "cities": found["city"][0],
            "countries": found["country"][0],
            "posts": found["posts"][1],
        }

    counts = cached(request, "home-counts", count)
    newest = published.newest_first().for_listing()
    context = {"counts": counts, "stories": newest[:NEWEST_ON_HOME]}
    return render(request, "browse/home.html", context)


@public_page
@filtered
def story_list(request, filterset):
    links = facets.Links(request.GET)
    query = links.query
    total = cached(request, f"count:{query}", lambda: facets.story_count(filterset))
    reach = page_number(request) * STORIES_PER_PAGE
    page = paginate(request, facets.listing(filterset, reach, total).for_listing(), count=total)
    facet_list, left_out = cached(
        request,
        f"facets:{query}",
        lambda: facets.all_facets(filterset, links, total, keep=partial(cached, request)),
        complete=lambda built: not built[1],  # no facet left out
    )
    chips = facets.active_chips(filterset, links)
    shown = [f for f in facet_list if f.values or (f.estimated and f.total)]
    by_name = {facet.name: facet for facet in facet_list}
    context = {
        "unsearchable": unsearchable_count(request, filterset),
        "filterset": filterset,
        "form": filterset.form,
        "sorts": SORTS,
        "page": page,
        "stories": page.object_list,
        "facets": facet_list,
        "facets_left_out": left_out,
        "by_name": by_name,
        "facets_shown": bool(shown),
        # No story to count countries over (no result): the menu still offers every country
        # a filter may name, without counts, rather than turning into a box to type in.
        "country_choices": country_choices(by_name),
        "chips": chips,
        "chip_labels": ", ".join(chip.label for chip in chips),
        "query": query,
    }
    return render(request, "browse/story_list.html", context)


def country_choices(by_name):
    country = by_name.get("country")
    if country is not None and country.values:
        return []
    countries = Country.objects.counted().order_by("name").values_list("code", "name")
    return list(countries[: facets.MENU_LIMIT + 1])


def unsearchable_count(request, filterset):
    """How many published stories a search cannot find yet because their search vectors are
    still being filled in after a bulk load (0 when no words were given, or on SQLite). The
    batches that fill them raise the archive's revision, so the cached count follows them."""
    if not filterset.form.cleaned_data.get("q") or not search.uses_full_text_search():
        return 0
    published = Story.objects.published()
    return cached(request, "unsearchable", lambda: search.unindexed_story_count(published))


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, where browsers look without a <link rel="icon"> (the pages give one)."""
    return FileResponse(open(finders.find("img/favicon.ico"), "rb"), content_type="image/x-icon")


@public_page
def about(request):
    """What the archive is, how it checks its stories, whom to ask, and its open data."""
    context = {"contact_email": settings.ARCHIVE_CONTACT_EMAIL}
    return render(request, "browse/about.html", context)


@public_page
def story_detail(request, slug):
    story = Story.objects.published().filter(slug=slug).first()
    if story is None:
        return unpublished_story(request, slug)
    related = related_to(story)
    # The places of the story and of its related stories in one round of
    # queries, not one each (four queries and 5 ms of a 30-ms page at a million stories).
    attach_places([story, *related])
    prefetch_related_objects([story], *story_page_prefetches())
    return render(request, "browse/story_detail.html", {"story": story, "related": related})


def story_page(queryset):
    return queryset.for_listing().prefetch_related(*story_page_prefetches())


def story_page_prefetches():
    """What a story's page shows beyond its card: its performers, its posts with their
    copies, its sources."""
    return ("performers", Prefetch("posts", queryset=posts_with_copies()), "sources")


def posts_with_copies():
    """A story's posts the public may see (not hidden) in order, each with its copies the
    public may see, best first (`public_copies`), and what the latest check of its address
    found (`original_status`: "gone" and "withheld" make the page say the original is no
    longer online)."""
    latest = (
        LinkCheck.objects.filter(post=OuterRef("pk"), role=LinkCheck.Role.POST)
        .latest_first()
        .values("status")[:1]
    )
    copies = ArchivedCopy.objects.filter(hidden=False).best_first()
    return (
        LinkedPost.objects.filter(hidden=False)
        .order_by("position")
        .annotate(original_status=Subquery(latest))
        .prefetch_related(Prefetch("copies", queryset=copies, to_attr="public_copies"))
    )


def unpublished_story(request, slug):
    """A story URL that is not public: 410 if withdrawn, a preview for staff, else 404.

    Only this path reads `request.user` (and so the session): published pages never vary
    on the cookie and stay cacheable. It reads it for every slug but a withdrawn story's, so
    that a draft's 404 is the 404 of a slug that does not exist, down to `Vary: Cookie`.
    """
    status = Story.objects.filter(slug=slug).values_list("status", flat=True).first()
    if status == Story.Status.WITHDRAWN:
        return render(request, "browse/story_gone.html", status=410)
    may_preview = request.user.is_staff and request.user.has_perm("stories.view_story")
    if status is None or not may_preview:
        raise Http404(_("No such story."))
    story = story_page(Story.objects.all()).get(slug=slug)
    context = {"story": story, "related": [], "preview": True}
    response = render(request, "browse/story_preview.html", context)
    add_never_cache_headers(response)
    return response


def related_to(story):
    """Other published stories in the same cities or on overlapping days, newest first.

    Two queries of at most RELATED rows each (same cities; overlapping days), merged in the
    list's order: one query with an OR of the two could use no index, and read every
    published story (seconds with a million)."""
    others = Story.objects.published().exclude(pk=story.pk)
    candidates = []
    cities = [str(pk) for pk in story.cities.values_list("pk", flat=True)]
    if cities:
        # The cities' stories from the facet rows: an EXISTS per story read tens of
        # thousands of stories to find six in a small city.
        facts.bring_up_to_date()
        ids = StoryFacet.objects.filter(facet="city", key__in=cities).values("story_id")
        if len(cities) == 1:  # (one row per story: see facets.reaching)
            # The story itself may be among the newest: one more.
            ids = facets.reaching(ids, RELATED + 1)
        in_cities = others.filter(pk__in=ids)
        candidates += in_cities.newest_first().values_list(*ORDER)[:RELATED]
    if story.start_date:
        covering = others.covering(story.start_date, story.end_date)
        candidates += covering.newest_first().values_list(*ORDER)[:RELATED]
    nearest = sorted(set(candidates), key=newest_first_key)[:RELATED]
    if not nearest:
        return []
    chosen = Story.objects.filter(pk__in=[row[-1] for row in nearest])
    return list(chosen.newest_first())


ORDER = ("start_date", "title", "pk")


def newest_first_key(row):
    """`StoryQuerySet.NEWEST_FIRST` in Python: newest start first, undated last, then title
    and id."""
    start, title, pk = row
    return (start is None, -(start.toordinal() if start else 0), title, pk)


@public_page
def city_list(request):
    """The visible cities (those with published stories), with their counts."""
    facts.bring_up_to_date()

    def compute():
        counted = facets.counts("city", facets.Selection())
        cities = facets.cities_with_counts(counted, "country", "region")
        regions = counted_rows(Region.objects.select_related("country"), "region")
        groups = {}
        for city in cities:
            groups.setdefault(city.country, ([], []))[0].append(city)
        for region in regions.order_by("name", "pk"):
            groups.setdefault(region.country, ([], []))[1].append(region)
        return sorted(groups.items(), key=lambda group: group[0].name)

    groups = cached(request, "city-list", compute)
    return render(request, "browse/city_list.html", {"groups": groups})


@public_page
@paged
def city_detail(request, slug):
    """A visible city (one a published story is in) and its stories; any other slug, a city
    only unpublished stories name included, is a 404 like one that does not exist."""
    city = visible_or_404(City.objects.select_related("country", "region"), slug)
    page = paginate_facet(request, "city", city.pk)
    return render(request, "browse/city_detail.html", {"city": city, "page": page, "stories": page})


@public_page
@paged
def region_detail(request, slug):
    """A visible region (one a published story is in, named or through one of its cities),
    its cities with stories and its stories; any other slug is a 404."""
    region = visible_or_404(Region.objects.select_related("country"), slug)
    page = paginate_facet(request, "region", region.pk)

    cities = counted_rows(City.objects.filter(region=region), "city").order_by("name", "pk")
    context = {"region": region, "cities": cities, "page": page, "stories": page}
    return render(request, "browse/region_detail.html", context)


PERFORMERS_PER_PAGE = 100
INITIALS = [*string.ascii_uppercase, "#"]  # "#": names that start with anything else


class PerformerIndexForm(PageForm):
    letter = forms.ChoiceField(
        label=gettext_lazy("Initial"),
        choices=[("", ""), *((initial, initial) for initial in INITIALS)],
        required=False,
    )


def counted_rows(queryset, facet):
    """The rows of `queryset` published stories are counted under (`facet`'s keys are their
    ids), each with `story_count`, from the facet totals: one index lookup a row."""
    totals = FacetTotal.objects.filter(facet=facet, key=Cast(OuterRef("pk"), CharField()))
    counted = queryset.annotate(story_count=Subquery(totals.values("total")[:1]))
    return counted.filter(story_count__gt=0)


def counted_performers():
    """The visible performers (those a published story names), each with `story_count`."""
    return counted_rows(Performer.objects.all(), "performer")


def with_initial(performers, letter):
    if letter == "#":
        return performers.exclude(
            reduce(operator.or_, (Q(name__istartswith=i) for i in string.ascii_uppercase))
        )
    return performers.filter(name__istartswith=letter) if letter else performers


@public_page
def performer_list(request):
    """The people and groups published stories name, A to Z, with their number of stories;
    by initial (`letter`) and a page (`page`) at a time."""
    form = PerformerIndexForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"page_form": form}, status=400)
    facts.bring_up_to_date()
    letter = form.cleaned_data["letter"]
    performers = with_initial(counted_performers(), letter).order_by("name", "pk")
    total = cached(request, f"performers:{letter}", performers.count)
    number = form.cleaned_data["page"] or 1
    try:
        page = CountedPaginator(performers, PERFORMERS_PER_PAGE, count=total).page(number)
    except EmptyPage as exc:
        raise Http404(_("There is no such page.")) from exc
    initials = cached(request, "performer-initials", performer_initials)
    context = {"page": page, "letter": letter, "initials": initials, "total": total}
    return render(request, "browse/performer_list.html", context)


def performer_initials():
    """[(initial, whether some visible performer's name starts with it)], A to Z and "#"."""
    firsts = (
        counted_performers()
        .annotate(initial=Upper(Substr("name", 1, 1)))
        .values_list("initial", flat=True)
        .distinct()
    )
    present = {first if first and first in string.ascii_uppercase else "#" for first in firsts}
    return [(initial, initial in present) for initial in INITIALS]


@public_page
@paged
def performer_detail(request, slug):
    """A visible performer (one a published story names) and their stories; else a 404."""
    performer = visible_or_404(Performer.objects.all(), slug)
    page = paginate_facet(request, "performer", performer.pk)
    return render(
        request,
        "browse/performer_detail.html",
        {"performer": performer, "page": page, "stories": page},
    )


def paginate_facet(request, facet, pk):
    """A page of the published stories counted under one city or performer, newest first:
    their ids and number from the facet tables (stories/facts.py), one index range each."""
    facts.bring_up_to_date()
    key = str(pk)
    ids = StoryFacet.objects.filter(facet=facet, key=key).values("story_id")
    total = facts.total(facet, key)
    ids = facets.reaching(ids, page_number(request) * STORIES_PER_PAGE, total=total)
    stories = Story.objects.published().filter(pk__in=ids).newest_first().for_listing()
    return paginate(request, stories, count=total)


def visible_or_404(queryset, slug):
    """The visible row of `queryset` with `slug`, in one query (the gate is an EXISTS in
    it); the same 404 whether the row is hidden or missing."""
    try:
        return queryset.visible().get(slug=slug)
    except queryset.model.DoesNotExist as exc:
        raise Http404(_("There is nothing at this address.")) from exc


@public_page
@paged
def day_detail(request, day):
    if not datetime.date.min < day < datetime.date.max:
        raise Http404("No day before or after this one can be shown.")
    facts.bring_up_to_date()
    # The stories under way that day, and the nearest other days some story covers, from the
    # facet tables' day rows (one per published story and day it covers).
    key = day.isoformat()
    on_day = StoryFacet.objects.filter(facet="day", key=key).values("story_id")
    total = facts.total("day", key)
    reach = page_number(request) * STORIES_PER_PAGE
    on_day = facets.reaching(on_day, reach, newest=False, total=total)
    stories = Story.objects.published().filter(pk__in=on_day).oldest_first().for_listing()
    page = paginate(request, stories, count=total)
    days = FacetTotal.objects.filter(facet="day")
    near = cached(
        request,
        f"day-nav:{day}",
        lambda: days.aggregate(
            previous=Max("key", filter=Q(key__lt=key)), next=Min("key", filter=Q(key__gt=key))
        ),
    )
    return render(
        request,
        "browse/day_detail.html",
        {
            "day": day,
            "page": page,
            "stories": page,
            "previous_day": facets.as_date(near["previous"]),
            "next_day": facets.as_date(near["next"]),
        },
    )


@public_page
@filtered
def timeline_view(request, filterset):
    links = facets.Links(request.GET)
    query = links.query

    def compute():
        chosen = facets.selection(filterset)
        per_day = {facts.as_day(key): n for key, n in facets.counts("day", chosen)}
        chart = timeline.chart(per_day)
        dates = filterset.form.cleaned_data
        return {
            "chart": chart,
            # Markup for the bars and the table's rows: see browse/timeline.py.
            "bars": timeline.bars_html(chart["bars"]),
            "rows": timeline.rows_html(chart["bars"]),
            "phone_rows": timeline.phone_html(
                chart, links, dates.get("date_after"), dates.get("date_before")
            ),
            "phone_caption": timeline.phone_caption(chart),
            "undated": facets.undated_count(filterset, chosen),
        }

    context = {**cached(request, f"timeline:{query}", compute), "query": query}
    return render(request, "browse/timeline.html", context)


@public_page
@filtered
def map_view(request, filterset):
    query = facets.Links(request.GET).query

    def compute():
        chosen = facets.selection(filterset)
        cities = facets.mapped_cities(facets.counts("city", chosen))
        countries = [code for code, _, _ in facets.country_rows(chosen)]
        unmapped = dict(facets.counts("unmapped", chosen)).get("", 0)
        counted = [(city, city.story_count) for city in cities]
        labels = {}  # (each city's, written once for both drawings)
        drawing = maps.draw(counted, countries)
        phone = maps.draw(
            counted, countries, maps.PHONE, maps.PHONE_LABELLED, radius=8, font_size=16
        )
        return {
            "map": drawing,
            "phone_map": phone,
            # Markup, not objects: kept in the cache, they are read back without unpickling
            # thousands of rows.
            "points": maps.points_html(drawing.pop("points"), labels=labels),
            "phone_points": maps.points_html(phone.pop("points"), maps.HIT_RADIUS, labels),
            "cities": maps.cities_html(cities),
            "unmapped": unmapped,
        }

    context = {**cached(request, f"map:{query}", compute), "query": query}
    return render(request, "browse/map.html", context)
