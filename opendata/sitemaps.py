"""The sitemap (django.contrib.sitemaps): every public page, in sections, and robots.txt.

`/sitemap.xml` is an index of the sections' files, `/sitemap-<section>.xml` (`?p=2`, ... for
the next 10,000 addresses), so a million stories stay far inside the protocol's limits
(50,000 addresses and 50 MB a file). Stories carry `lastmod` (when they last changed); the
index gives each section the newest of its stories'. Everything listed comes from the public
gates: published stories, visible cities, regions and performers, days some published story
covers.
"""

import datetime

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from browse.caching import MAX_AGE, public_page
from stories import facts
from stories.models import City, FacetTotal, Performer, Region, Story

PER_FILE = 10_000  # addresses a sitemap file lists


class CountedPaginator(Paginator):
    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.count = count


class ArchiveSitemap(Sitemap):
    limit = PER_FILE
    route = None  # the URL name of the section's pages, which take a slug

    def location(self, item):
        return reverse(self.route, args=[item])


class PageSitemap(ArchiveSitemap):
    """The pages without a key: home, the list, the cities, the timeline, the map, about."""

    def items(self):
        return [
            "browse:home",
            "browse:list",
            "browse:cities",
            "browse:performers",
            "browse:timeline",
            "browse:map",
            "browse:about",
        ]

    def location(self, item):
        return reverse(item)


class StorySitemap(ArchiveSitemap):
    route = "browse:story"

    def items(self):
        # (slug, updated_at): no model instances for 10,000 rows a file.
        return Story.objects.published().order_by("pk").values_list("slug", "updated_at")

    def location(self, item):
        return reverse(self.route, args=[item[0]])

    def lastmod(self, item):
        return item[1]

    @property
    def paginator(self):
        facts.bring_up_to_date()
        count = facts.summary("story")["story"][1]  # the published stories, kept counted
        return CountedPaginator(self.items(), self.limit, count)

    def get_latest_lastmod(self):
        # (Django's default reads every item for its lastmod: a million rows.)
        return Story.objects.published().aggregate(newest=Max("updated_at"))["newest"]


class CitySitemap(ArchiveSitemap):
    route = "browse:city"

    def items(self):
        return City.objects.visible().order_by("slug").values_list("slug", flat=True)


class RegionSitemap(ArchiveSitemap):
    route = "browse:region"

    def items(self):
        return Region.objects.visible().order_by("slug").values_list("slug", flat=True)


class PerformerSitemap(ArchiveSitemap):
    route = "browse:performer"

    def items(self):
        return Performer.objects.visible().order_by("slug").values_list("slug", flat=True)


class DaySitemap(ArchiveSitemap):
    """The days some published story covers (the facet totals' day rows)."""

    route = "browse:day"

    def items(self):
        facts.bring_up_to_date()
        days = FacetTotal.objects.filter(facet="day", total__gt=0).order_by("key")
        return days.values_list("key", flat=True)

    def location(self, item):
        return reverse(self.route, args=[datetime.date.fromisoformat(item)])


SECTIONS = {
    "pages": PageSitemap,
    "stories": StorySitemap,
    "cities": CitySitemap,
    "regions": RegionSitemap,
    "performers": PerformerSitemap,
    "days": DaySitemap,
}


def rendered(response):
    """A TemplateResponse rendered, so that the cache can keep it whole."""
    return response.render() if hasattr(response, "render") else response


@public_page
def sitemap_index(request):
    return rendered(
        sitemap_views.index(request, SECTIONS, sitemap_url_name="opendata:sitemap-section")
    )


@public_page
def sitemap_section(request, section):
    return rendered(sitemap_views.sitemap(request, SECTIONS, section=section))


@require_safe
@cache_control(public=True, max_age=MAX_AGE)
def robots_txt(request):
    """The same whatever the archive holds: no database read, so no ETag of the archive."""
    lines = [
        "User-agent: *",
        # The admin, and the downloads: whole data sets, for people and programs that ask.
        "Disallow: /admin/",
        f"Disallow: {reverse('opendata:stories-csv')}",
        f"Disallow: {reverse('opendata:stories-json')}",
        f"Sitemap: {request.build_absolute_uri(reverse('opendata:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
