"""Small builders for test data: each returns a saved object with sensible defaults."""

import datetime
import itertools

from django.utils import timezone

from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story

_numbers = itertools.count(1)


def country(code="IT", name=None):
    obj, _ = Country.objects.get_or_create(code=code, defaults={"name": name or code})
    return obj


def region(name="Sicily", country_code="IT"):
    obj, _ = Region.objects.get_or_create(
        slug=name.lower(), defaults={"name": name, "country": country(country_code)}
    )
    return obj


def city(name="Florence", country_code="IT", slug=None, **fields):
    obj, _ = City.objects.get_or_create(
        slug=slug or name.lower(),
        defaults={"name": name, "country": country(country_code), **fields},
    )
    return obj


def performer(name="Maurizio Marchini", **fields):
    slug = fields.pop("slug", None) or name.lower().replace(" ", "-")
    obj, _ = Performer.objects.get_or_create(slug=slug, defaults={"name": name, **fields})
    return obj


def source(slug=None, **fields):
    fields.setdefault("published_on", datetime.date(2020, 3, 16))
    return SourceArticle.objects.create(slug=slug or f"source-{next(_numbers)}", **fields)


def story(
    title="A story",
    *,
    day=None,
    start=None,
    end=None,
    cities=(),
    regions=(),
    countries=(),
    performers=(),
    sources=(),
    status=Story.Status.PUBLISHED,
    **fields,
):
    """A story; `day` sets a one-day date range, `start`/`end` a longer one."""
    if day is not None:
        start = end = day
    fields.setdefault("slug", f"story-{next(_numbers)}")
    if status in (Story.Status.PUBLISHED, Story.Status.WITHDRAWN):
        fields.setdefault("published_at", timezone.now())
    obj = Story.objects.create(title=title, start_date=start, end_date=end, status=status, **fields)
    obj.cities.set(cities)
    obj.regions.set(regions)
    obj.countries.set(countries)
    obj.performers.set(performers)
    obj.sources.set(sources)
    return obj


def post(story, **fields):
    fields.setdefault("position", story.posts.count() + 1)
    return LinkedPost.objects.create(story=story, **fields)


def user(username="editor", group=None, **fields):
    """A staff user, in the named group ("Editors", "Contributors") if given."""
    from django.contrib.auth.models import Group, User

    fields.setdefault("is_staff", True)
    obj = User.objects.create_user(username=username, password="a-long-test-password", **fields)
    if group:
        obj.groups.add(Group.objects.get(name=group))
    return obj
