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
    """A post, normalised as the admin and the importer do (handle, platform)."""
    fields.setdefault("position", story.posts.count() + 1)
    obj = LinkedPost(story=story, **fields)
    obj.normalise()
    obj.save()
    return obj


def user(username="editor", group=None, **fields):
    """A staff user, in the named group ("Editors", "Contributors") if given."""
    from django.contrib.auth.models import Group, User

    fields.setdefault("is_staff", True)
    obj = User.objects.create_user(username=username, password="a-long-test-password", **fields)
    if group:
        obj.groups.add(Group.objects.get(name=group))
    return obj


def seed_like():
    """The six stories of the seed article, built small: {name: story}."""
    day = datetime.date
    florence = city("Florence", latitude="43.77925", longitude="11.24626")
    turin = city("Turin", latitude="45.07049", longitude="7.68682")
    palermo = city("Palermo", latitude="38.11660", longitude="13.36360")
    madrid = city("Madrid", "ES", latitude="40.41650", longitude="-3.70256")
    granada = city("Granada", "ES", latitude="37.18817", longitude="-3.60667")
    Country.objects.filter(code="IT").update(name="Italy")
    Country.objects.filter(code="ES").update(name="Spain")
    stories = {
        "florence": story(
            "Maurizio Marchini sings “Nessun Dorma” from his balcony in Florence",
            slug="florence-nessun-dorma",
            day=day(2020, 3, 14),
            kind=Story.Kind.MUSIC,
            cities=[florence],
            performers=[performer("Maurizio Marchini", role="tenor")],
            summary="Opera singer Maurizio Marchini sang Puccini’s aria from his balcony.",
        ),
        "turin": story(
            "Neighbours give a “free concert” from their balconies in Turin",
            slug="turin-balcony-concert",
            day=day(2020, 3, 13),
            kind=Story.Kind.MUSIC,
            cities=[turin],
            performers=[performer("Balcony dwellers of Turin", kind="crowd")],
        ),
        "palermo": story(
            "A DJ plays a set from his balcony in Palermo",
            slug="palermo-balcony-dj",
            day=day(2020, 3, 14),
            kind=Story.Kind.DJ_SET,
            cities=[palermo],
            performers=[performer("Unidentified DJ in Palermo", identified=False, role="DJ")],
        ),
        "spain": story(
            "Residents of Madrid and Granada applaud the emergency services",
            slug="madrid-granada-applause",
            start=day(2020, 3, 14),
            end=day(2020, 3, 15),
            kind=Story.Kind.APPLAUSE,
            cities=[madrid, granada],
        ),
        "sicily": story(
            "A DJ in Sicily plays late into the night",
            slug="sicily-dj-party",
            day=day(2020, 3, 15),
            kind=Story.Kind.DJ_SET,
            regions=[region("Sicily")],
        ),
        "trainer": story(
            "A trainer brings his complex together to work out",
            slug="trainer-brings-complex-together",
            kind=Story.Kind.WORKOUT,
        ),
    }
    post(
        stories["florence"],
        url="https://twitter.com/MuhammadLila/status/1238888888888888888",
        author_name="Muhammad Lila",
        handle="MuhammadLila",
        posted_on=day(2020, 3, 14),
        text="During Italy's quarantine, Italian tenor Maurizio Marchini wanted to do "
        "something to spread joy amid all the sadness in Florence.",
        media_url="https://pic.twitter.com/yVgADAU9bt",
        reach="viewed more than 4 million times on Twitter",
        reach_count=4_000_000,
    )
    post(
        stories["turin"],
        url="https://twitter.com/dschmudde/status/1238555555555555555",
        author_name="D. Schmudde",
        handle="dschmudde",
        posted_on=day(2020, 3, 13),
        text="From my balcony in Turin, Italy. Free concert performed by fellow balcony dwellers.",
    )
    return stories


def story_form(story, **changes):
    """The admin change form's fields for `story` as the browser posts them, with no posts
    inline: data for `client.post`, not a saved object."""

    def pks(field):
        return [obj.pk for obj in getattr(story, field).all()] if story.pk else []

    data = {
        "title": story.title,
        "slug": story.slug,
        "kind": story.kind,
        "summary": story.summary,
        "body": story.body,
        "start_date": story.start_date or "",
        "end_date": story.end_date or "",
        "dates_from": story.dates_from,
        "dates_note": story.dates_note,
        "cities": pks("cities"),
        "regions": pks("regions"),
        "countries": pks("countries"),
        "performers": pks("performers"),
        "sources": pks("sources"),
        "curator_notes": story.curator_notes,
        "posts-TOTAL_FORMS": "0",
        "posts-INITIAL_FORMS": "0",
        "posts-MIN_NUM_FORMS": "0",
        "posts-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def flush():
    """What `manage.py flush` does to the archive, in a form PostgreSQL allows inside the
    test's transaction (TRUNCATE refuses while deferred foreign key checks are pending)."""
    from django.db import models

    from preservation.models import ArchivedCopy, CorrectionRequest, LinkCheck
    from stories.models import LoadRecord

    for model in (
        *(ArchivedCopy, LinkCheck, CorrectionRequest),
        *(LoadRecord, LinkedPost, Story, SourceArticle, Performer, City, Region, Country),
    ):
        # Past the guard that keeps published stories from deletion, as flush's TRUNCATE is.
        models.QuerySet.delete(model.objects.all())


def export(path):
    """The archive, written by export_archive to `path`; returns its bytes."""
    from io import StringIO

    from django.core.management import call_command

    call_command("export_archive", str(path), stdout=StringIO())
    return path.read_bytes()
