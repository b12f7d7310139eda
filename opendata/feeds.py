"""Atom feeds of the newest published stories: all of them, or those of any view of the story
list (`/feed/?city=florence`, `?country=IT`, `?kind=music`, ...), with the list's filters and
its 400s. Newest first by the time a story was first published in the archive, so a story
about an early day of the lockdowns published today still reaches subscribers.

Each entry's id is the story's permanent address (its slug is its natural key and is kept
for good once published), and its summary gives the story's dates and places before its
summary; its categories are its kind, countries and cities.
"""

import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Max
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from browse.caching import public_page
from browse.filters import checked_filters
from opendata.downloads import bad_filters
from opendata.records import Addresses, story_records, xml_text
from stories.models import Story

FEED_LENGTH = 50  # entries a feed gives
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


class ArchiveAtomFeed(Atom1Feed):
    def add_item(self, title, link, description, **kwargs):
        # (Django's XML writer refuses control characters with an exception: a visitor's
        # words, or a story loaded in bulk, may hold them.)
        kwargs["categories"] = [xml_text(c) for c in kwargs.get("categories") or ()]
        super().add_item(xml_text(title), link, xml_text(description), **kwargs)

    def latest_post_date(self):
        """The newest entry's time; for a feed with no entry, when the archive last published
        a story, not the time of the request (Django's default): the same request gets the
        same feed until the archive changes."""
        if self.items:
            return super().latest_post_date()
        newest = Story.objects.published().aggregate(newest=Max("published_at"))["newest"]
        return newest or EPOCH


class StoriesFeed(Feed):
    feed_type = ArchiveAtomFeed

    def __call__(self, request, *args, **kwargs):
        filterset = checked_filters(request.GET)
        if filterset.form.errors:
            return bad_filters(filterset, as_json=False)
        filterset.request = request
        request.story_filters = filterset
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        return request.story_filters

    def title(self, filterset):
        described = xml_text(describe(filterset))
        if not described:
            return _("Lockdown Solidarity Archive: newest stories")
        return _("Lockdown Solidarity Archive: newest stories, %(filters)s") % {
            "filters": described
        }

    def link(self, filterset):
        query = filterset.data.urlencode()
        return reverse("browse:list") + (f"?{query}" if query else "")

    def feed_url(self, filterset):
        query = filterset.data.urlencode()
        return reverse("opendata:feed") + (f"?{query}" if query else "")

    def subtitle(self, filterset):
        return _("Acts of solidarity from the COVID-19 lockdowns, newest in the archive first.")

    def author_name(self):
        return _("Lockdown Solidarity Archive")

    def items(self, filterset):
        stories = filterset.filter_queryset(filterset.queryset.all(), leave_out=("sort",))
        ids = list(stories.newest_published_first().values_list("pk", flat=True)[:FEED_LENGTH])
        return story_records(ids, Addresses(filterset.request))

    def item_title(self, story):
        return story["title"]

    def item_link(self, story):
        return story["url"]

    def item_description(self, story):
        return f"{when(story)} · {where(story)}. {story['summary']}"

    def item_guid(self, story):
        return story["url"]

    def item_guid_is_permalink(self, story):
        return True

    def item_pubdate(self, story):
        return datetime.datetime.fromisoformat(story["published_at"])

    def item_updateddate(self, story):
        return datetime.datetime.fromisoformat(story["updated_at"])

    def item_categories(self, story):
        return [
            str(Story.Kind(story["kind"]).label),
            *(country["name"] for country in story["countries"]),
            *(city["name"] for city in story["cities"]),
        ]


def describe(filterset):
    """The filters in use, in words: "Florence, Music"."""
    words = []
    for name, value in filterset.active.items():
        values = value if isinstance(value, list) else [value]
        if name == "kind":
            words.append(str(Story.Kind(value).label))
        elif name == "platform":
            words.append(_("posted on %(platform)s") % {"platform": value})
        elif name == "q":
            words.append(_("“%(words)s”") % {"words": value})
        elif name in ("date_after", "date_before"):
            words_for = _("from %(day)s") if name == "date_after" else _("until %(day)s")
            words.append(words_for % {"day": date_format(value, "j F Y")})
        else:
            words.extend(getattr(v, "name", str(v)) for v in values)
    return ", ".join(words)


def when(story):
    start, end = story["start_date"], story["end_date"]
    if start is None:
        return _("Date unknown")
    start = date_format(datetime.date.fromisoformat(start), "j F Y")
    if end in (None, story["start_date"]):
        return start
    end = date_format(datetime.date.fromisoformat(end), "j F Y")
    return _("%(start)s to %(end)s") % {"start": start, "end": end}


def where(story):
    places = [city["name"] for city in story["cities"]]
    places += [region["name"] for region in story["regions"]]
    places += [country["name"] for country in story["countries"]]
    return ", ".join(places) or _("Place unknown")


stories_feed = public_page(StoriesFeed())
