"""Reading news articles into draft stories.

An article in the seed's form is UTF-8 text that starts with a date header (` date
2020-03-16 `) followed by paragraphs separated by one blank line. An embedded post is written
as it reads on the page once the embed is gone:

    text pic.twitter.com/ID — Name (@handle) Month D, YYYY

where the media link and the date may be missing, and a post's own paragraphs are separated by
several blank lines. Each post becomes a story together with the prose paragraph just before
it; prose with no post after it becomes a story of its own. Nothing is published: stories are
drafts for editors to review.

An article may be at most MAX_ARTICLE_BYTES long; a longer file is refused before it is read.
Everything the importer writes is checked with the model's own validation (field lengths,
choices, dates, constraints) before it is saved; a value that fails names the file and the
line it comes from, and nothing is written. The time an import takes grows with the length of
the article, not its square: the countries an article mentions are found once, existing posts
are looked up in batches, an article's new stories, posts, links and their first versions are
written with bulk inserts (`Batch`), and the article's text is stored on its source only once
the stories are written (a story's version made by simple-history reads its sources).
"""

import bisect
import contextlib
import datetime
import gc
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import CheckConstraint
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext, ngettext_lazy

from stories.interchange.constraints import satisfies
from stories.interchange.gazetteer import CITY, COUNTRY, REGION, gazetteer, unique_slug
from stories.models import City, Country, LinkedPost, Region, SourceArticle, Story

HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SIGNATURE = re.compile(
    r"(?:(?P<media>(?:https?://)?pic\.twitter\.com/\w+)\s*)?"
    r"[—–]\s*(?P<author>[^()\n—–]+?)\s*\(@(?P<handle>\w{1,50})\)"
    rf"(?:[ \t]*(?P<date>(?:{MONTHS})\s+\d{{1,2}},\s+\d{{4}}))?"
)
STATUS_URL = re.compile(r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status/\d+\S*")
# Paragraphs are separated by exactly one blank line; more blank lines separate the
# paragraphs of one embedded post.
BLOCK_BREAK = re.compile(r"(?<!\n)\n[ \t]*\n(?![ \t]*\n)")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s")
TITLE_LENGTH = 120
# The largest article accepted, in bytes (5 MiB: more than a hundred times the longest news
# article in the archive); a 5 MiB article imports in well under a minute.
MAX_ARTICLE_BYTES = 5 * 2**20
# Existing posts are looked up this many links at a time.
LOOKUP_BATCH = 500

# A first guess at the kind of act, from words in the story; editors correct it.
KIND_WORDS = [
    (Story.Kind.DJ_SET, re.compile(r"\bDJs?\b")),
    (Story.Kind.MUSIC, re.compile(r"\b(sing|sang|song|concert|aria|music|instrument)", re.I)),
    (Story.Kind.APPLAUSE, re.compile(r"\b(clap|applau|cheer)", re.I)),
    (Story.Kind.WORKOUT, re.compile(r"\b(work(ing)? out|workout|fitness|trainer|exercis)", re.I)),
]


class ArticleError(Exception):
    """The file is not an article of the expected form, or holds a value the archive cannot
    take; the message names the file, the line where there is one, and the reason."""

    def __init__(self, path, reason, line=None):
        where = f"{path}, line {line}" if line else f"{path}"
        super().__init__(f"{where}: {reason}")


@dataclass
class ParsedPost:
    text: str
    author_name: str
    handle: str
    posted_on: datetime.date | None
    media_url: str = ""
    url: str = ""
    line: int = field(default=0, compare=False)

    def as_dict(self):
        return {
            "url": self.url,
            "author_name": self.author_name,
            "handle": self.handle,
            "posted_on": self.posted_on.isoformat() if self.posted_on else None,
            "text": self.text,
            "media_url": self.media_url,
        }


@dataclass
class ParsedStory:
    prose: list[str]
    posts: list[ParsedPost]
    places: list = field(default_factory=list)
    line: int = field(default=0, compare=False)

    @property
    def body(self):
        return "\n\n".join(self.prose)

    @property
    def event_date(self):
        """The day of the earliest dated post: the best evidence when the article gives none."""
        dated = self.dated_by
        return dated.posted_on if dated else None

    @property
    def dated_by(self):
        """The earliest dated post, or None."""
        dated = [post for post in self.posts if post.posted_on]
        return min(dated, key=lambda post: post.posted_on) if dated else None

    @property
    def title(self):
        text = self.prose[0] if self.prose else self.posts[0].text
        first = SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
        if len(first) <= TITLE_LENGTH:
            return first
        return first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"

    @property
    def kind(self):
        text = " ".join([*self.prose, *(post.text for post in self.posts)])
        for kind, words in KIND_WORDS:
            if words.search(text):
                return kind
        return Story.Kind.OTHER

    def as_dict(self):
        date = self.event_date.isoformat() if self.event_date else None
        return {
            "title": self.title,
            "kind": self.kind,
            "start_date": date,
            "end_date": date,
            "posts": [post.as_dict() for post in self.posts],
            "places": [place.as_dict() for place in self.places],
        }


@dataclass
class ParsedArticle:
    path: str
    date: datetime.date
    text: str
    stories: list[ParsedStory]

    @property
    def slug(self):
        return slugify(Path(self.path).stem)[:200] or f"article-{self.date.isoformat()}"

    def as_dict(self):
        return {
            "path": self.path,
            "date": self.date.isoformat(),
            "stories": [story.as_dict() for story in self.stories],
        }


def read_article(path):
    """Parse one article file, or raise ArticleError saying why it is not one."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_ARTICLE_BYTES + 1)
    except OSError as exc:
        raise ArticleError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_ARTICLE_BYTES:
        raise ArticleError(
            path,
            f"is larger than the {MAX_ARTICLE_BYTES // 2**20} MB ({MAX_ARTICLE_BYTES:,} bytes) "
            "an article may be; split it into several files",
        )
    if not raw.strip():
        raise ArticleError(path, "is empty")
    if b"\0" in raw:
        raise ArticleError(path, "is not a text file (it holds binary data)")
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise ArticleError(path, f"is not UTF-8 text (byte {exc.start})") from exc
    header = HEADER.match(text)
    if not header:
        raise ArticleError(path, "has no date header (it must start with ' date YYYY-MM-DD ')")
    try:
        date = datetime.date.fromisoformat(header[1])
    except ValueError as exc:
        raise ArticleError(path, f"has an impossible date in its header: {header[1]}") from exc
    rest = text[header.end() :]
    body = rest.strip()
    if not body:
        raise ArticleError(path, "has a date header but no text after it")
    lines = Lines(text, header.end() + len(rest) - len(rest.lstrip()))
    return parse_article(str(path), date, body, lines)


class Lines:
    """Line numbers in the file of offsets in the article's body (which starts at `start`)."""

    def __init__(self, text, start=0):
        self.start = start
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def __call__(self, offset):
        return bisect.bisect_left(self.newlines, self.start + offset) + 1


def parse_article(path, date, body, lines=None):
    lines = lines or Lines(body)
    stories = group_stories(split_blocks(body, lines, path))
    places = gazetteer()
    article_countries = frozenset(places.mentioned_countries(body))
    for story in stories:
        text = "\n\n".join([*story.prose, *(post.text for post in story.posts)])
        story.places = linked_places(places.find_places(text, article_countries))
    return ParsedArticle(path, date, body, stories)


def split_blocks(body, lines, path):
    """The article as a list of prose paragraphs (Prose) and runs of posts (list)."""
    items = []
    start = 0
    for end, next_start in [(m.start(), m.end()) for m in BLOCK_BREAK.finditer(body)] + [
        (len(body), len(body))
    ]:
        block = body[start:end]
        offset = start + len(block) - len(block.lstrip())
        start = next_start
        block = block.strip()
        if not block:
            continue
        posts, rest, rest_offset = parse_posts(block, offset, lines, path)
        if posts:
            items.append(posts)
            if rest:
                items.append(Prose(rest, lines(rest_offset)))
        else:
            items.append(Prose(" ".join(block.split()), lines(offset)))
    return items


class Prose(str):
    """A prose paragraph that knows the line it starts on."""

    def __new__(cls, text, line):
        prose = super().__new__(cls, text)
        prose.line = line
        return prose


def parse_posts(block, offset=0, lines=None, path=""):
    """The posts embedded in a paragraph, and any prose left after the last of them (with its
    offset in the article's body)."""
    lines = lines or Lines(block)
    posts = []
    position = 0
    for match in SIGNATURE.finditer(block):
        text = block[position : match.start()].lstrip(" \t\n.:;,")
        url = ""
        if status := STATUS_URL.search(text):
            url = status[0]
            text = text.replace(url, "")
        media = match["media"] or ""
        if media and not media.startswith("http"):
            media = "https://" + media
        posts.append(
            ParsedPost(
                text="\n\n".join(p.strip() for p in PARAGRAPH_BREAK.split(text.strip())),
                author_name=" ".join(match["author"].split()),
                handle=match["handle"],
                posted_on=parse_post_date(match["date"], path, lines(offset + match.start("date"))),
                media_url=media,
                url=url,
                line=lines(offset + match.start()),
            )
        )
        position = match.end()
    tail = block[position:]
    rest = " ".join(tail.split()).strip(" .:;,")
    rest_offset = offset + position + len(tail) - len(tail.lstrip(" \t\n.:;,"))
    return posts, rest, rest_offset


def parse_post_date(words, path="", line=None):
    if not words:
        return None
    try:
        return datetime.datetime.strptime(
            " ".join(words.replace(",", "").split()), "%B %d %Y"
        ).date()
    except ValueError as exc:
        raise ArticleError(
            path, f"a post is dated {words}, a day that does not exist", line
        ) from exc


def group_stories(items):
    """A prose paragraph goes with the posts right after it; other prose stands alone."""
    stories = []
    pending = None
    for item in items:
        if isinstance(item, str):
            if pending is not None:
                stories.append(ParsedStory([pending], [], line=pending.line))
            pending = item
        else:
            line = pending.line if pending else item[0].line
            stories.append(ParsedStory([pending] if pending else [], item, line=line))
            pending = None
    if pending is not None:
        stories.append(ParsedStory([pending], [], line=pending.line))
    return stories


def linked_places(places):
    """The places a story is linked to: a country only when none of its cities or regions is."""
    covered = {place.country for place in places if place.kind != COUNTRY}
    return [place for place in places if place.kind != COUNTRY or place.country not in covered]


# Writing


class Importer:
    """Writes parsed articles as draft stories with ordinary ORM saves (so history, where
    installed, records them), all in one transaction; counts what it did. Every record is
    checked with its model's full_clean() before it is saved: a value the archive cannot take
    raises ArticleError naming the file and line, and the transaction writes nothing."""

    def __init__(self):
        self.counts = Counter()
        self.cities = {}
        self.regions = {}
        self.countries = {}
        self.checked = set()

    def run(self, articles, *, dry_run=False):
        with transaction.atomic():
            for article in articles:
                self.import_article(article)
            if dry_run:
                transaction.set_rollback(True)
        return self.counts

    def import_article(self, article):
        source = (
            SourceArticle.objects.filter(slug=article.slug).first()
            or SourceArticle.objects.filter(excerpt=article.text).first()
        )
        if source is not None and source.stories.exists():
            self.counts["articles already imported"] += 1
            return
        new_source = source is None
        if new_source:
            # The text goes in once the stories are linked: a story's history copies its links
            # to its sources, and would read the whole article each time.
            source = SourceArticle(
                slug=self.free_slug(SourceArticle, article.slug),
                published_on=article.date,
                excerpt="",
            )
            self.validate(source, article, 1)
            source.save()
            self.counts["sources"] += 1
        self.archived = self.archived_posts(article)
        self.taken = set(
            Story.objects.filter(slug__startswith=source.slug).values_list("slug", flat=True)
        )
        batch = Batch()
        for number, parsed in enumerate(article.stories, 1):
            self.import_story(source, article, number, parsed, batch)
        batch.write(source, reason=f"Imported from {Path(article.path).name}")
        if new_source:
            source.excerpt = article.text
            self.validate(source, article, 1)
            source.save()

    def import_story(self, source, article, number, parsed, batch):
        """Check the story and its posts and add them to the batch written at the end."""
        archived = [self.archived_post(post) for post in parsed.posts]
        new_posts = [post for post, old in zip(parsed.posts, archived, strict=True) if not old]
        if parsed.posts and not new_posts:
            # Every post is archived already: this article is one more source for that story.
            for story in {old.story for old in archived}:
                story.sources.add(source)
                self.counts["stories given this source"] += 1
            self.counts["posts already archived"] += len(archived)
            return
        date = parsed.event_date
        story = Story(
            title=parsed.title,
            slug=self.story_slug(source.slug, f"-{number}"),
            summary="",
            body=parsed.body,
            kind=parsed.kind,
            start_date=date,
            end_date=date,
            status=Story.Status.DRAFT,
            curator_notes=self.notes(article, parsed, archived),
        )
        dated_by = parsed.dated_by
        self.validate(
            story,
            article,
            parsed.line,
            lines={
                "start_date": dated_by and dated_by.line,
                "end_date": dated_by and dated_by.line,
            },
        )
        self.counts["stories"] += 1
        posts = []
        for position, post in enumerate(new_posts, 1):
            linked = LinkedPost(
                story=story,
                position=position,
                url=post.url,
                platform=LinkedPost.derived_platform(post.url, post.media_url),
                author_name=post.author_name,
                handle=post.handle,
                posted_on=post.posted_on,
                text=post.text,
                media_url=post.media_url,
            )
            self.validate(linked, article, post.line, exclude=["story"])
            posts.append(linked)
            self.remember(linked)
            self.counts["posts"] += 1
        self.counts["posts already archived"] += len(parsed.posts) - len(new_posts)
        links = {"cities": [], "regions": [], "countries": []}
        for place in parsed.places:
            if place.kind == CITY:
                links["cities"].append(self.city(place, article, parsed.line))
            elif place.kind == REGION:
                links["regions"].append(self.region(place, article, parsed.line))
            else:
                links["countries"].append(self.country(place.country, article, parsed.line))
        batch.add(story, posts, links)

    def story_slug(self, base, suffix):
        """A story slug no story has and this import has not given yet (`taken` holds the
        slugs starting with the source's, read once per article)."""
        slug = self.free_slug(Story, base, suffix, taken=self.taken.__contains__)
        self.taken.add(slug)
        return slug

    def validate(self, instance, article, line, lines=None, exclude=None):
        """full_clean() the record, or raise ArticleError naming the file, the line (that of
        the field in `lines` where given) and each field's label with Django's message."""
        try:
            instance.full_clean(exclude=exclude, validate_constraints=False)
            self.validate_constraints(instance)
        except ValidationError as exc:
            errors = exc.message_dict
            model = instance._meta.verbose_name
            reasons = []
            for name, messages in errors.items():
                if name == NON_FIELD_ERRORS:
                    label = model
                else:
                    label = f"{model} {instance._meta.get_field(name).verbose_name}"
                # Without their full stops: the reasons are joined with "; " and the command
                # ends the whole message with ". Nothing was imported."
                reasons.append(f"{label}: {' '.join(messages).rstrip('.')}")
            first = next(iter(errors))
            line = (lines or {}).get(first) or line
            raise ArticleError(Path(article.path), "; ".join(reasons), line) from exc

    def validate_constraints(self, instance):
        """The model's check constraints. Those `constraints.satisfies()` can answer are
        answered in Python, without a query; any other is asked of the database once per
        distinct set of the values it reads (the dates of 2,000 stories dated on 20 days are
        asked about 20 times). Unique constraints are the importer's own business: it picks
        free slugs, numbers posts, and links a post whose URL is archived instead of adding
        it again."""
        errors = {}
        for constraint in instance._meta.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            met = satisfies(constraint, instance)
            if met is False:
                errors.setdefault(NON_FIELD_ERRORS, []).append(
                    ValidationError(
                        constraint.get_violation_error_message(),
                        code=constraint.violation_error_code,
                    )
                )
                continue
            if met:
                continue
            names = sorted(constraint.condition.referenced_base_fields)
            key = (
                type(instance),
                constraint.name,
                tuple(getattr(instance, instance._meta.get_field(n).attname) for n in names),
            )
            if key in self.checked:
                continue
            try:
                constraint.validate(type(instance), instance)
            except ValidationError as exc:
                field = getattr(exc, "error_dict", None)
                for name, messages in (field or {NON_FIELD_ERRORS: exc.error_list}).items():
                    errors.setdefault(name, []).extend(messages)
            else:
                self.checked.add(key)
        if errors:
            raise ValidationError(errors)

    def notes(self, article, parsed, archived):
        lines = [f"Imported from {Path(article.path).name}; check the title, kind and places."]
        first = parsed.dated_by
        if first:
            lines.append(
                f"The event date is the day of the post that documented it ({first.author_name}, "
                f"{first.posted_on:%-d %B %Y}); check whether the article gives the day itself."
            )
        else:
            lines.append("No dated post: the event date is left unknown.")
        for old in filter(None, archived):
            lines.append(f"A post by @{old.handle} is already archived in “{old.story.slug}”.")
        return "\n".join(lines)

    def archived_posts(self, article):
        """The archived posts the article's posts link to, by ("url" or "media_url", link),
        looked up in batches (media_url has no index: one query a post would read every post
        each time)."""
        found = {}
        for field_name in ("url", "media_url"):
            values = sorted(
                {
                    getattr(post, field_name)
                    for story in article.stories
                    for post in story.posts
                    if getattr(post, field_name)
                }
            )
            for start in range(0, len(values), LOOKUP_BATCH):
                batch = values[start : start + LOOKUP_BATCH]
                posts = LinkedPost.objects.filter(**{f"{field_name}__in": batch})
                for post in posts.select_related("story"):
                    found.setdefault((field_name, getattr(post, field_name)), post)
        return found

    def remember(self, post):
        for field_name in ("url", "media_url"):
            if value := getattr(post, field_name):
                self.archived.setdefault((field_name, value), post)

    def archived_post(self, post):
        for field_name in ("url", "media_url"):
            value = getattr(post, field_name)
            if value and (found := self.archived.get((field_name, value))):
                return found
        return None

    def country(self, code, article, line):
        if code not in self.countries:
            country = Country.objects.filter(code=code).first()
            if country is None:
                country = Country(code=code, name=gazetteer().country(code).name)
                self.validate(country, article, line)
                country.save()
                self.counts["countries"] += 1
            self.countries[code] = country
        return self.countries[code]

    def city(self, place, article, line):
        key = (place.geonames_id, place.name, place.country)
        if key in self.cities:
            return self.cities[key]
        city = (
            City.objects.filter(geonames_id=place.geonames_id).first()
            or City.objects.filter(
                name=place.name, country__code=place.country, geonames_id=None
            ).first()
        )
        if city is None:
            latitude, longitude = place.coordinates
            city = City(
                name=place.name,
                slug=self.place_slug(City, place, tiebreak=str(place.geonames_id)),
                country=self.country(place.country, article, line),
                latitude=latitude,
                longitude=longitude,
                geonames_id=place.geonames_id,
            )
            self.validate(city, article, line)
            city.save()
            self.counts["cities"] += 1
        self.cities[key] = city
        return city

    def region(self, place, article, line):
        key = (place.name, place.country)
        if key in self.regions:
            return self.regions[key]
        region = Region.objects.filter(name=place.name, country__code=place.country).first()
        if region is None:
            region = Region(
                name=place.name,
                slug=self.place_slug(Region, place, tiebreak=place.code.lower()),
                country=self.country(place.country, article, line),
            )
            self.validate(region, article, line)
            region.save()
            self.counts["regions"] += 1
        self.regions[key] = region
        return region

    @staticmethod
    def place_slug(model, place, tiebreak):
        return unique_slug(
            place.name,
            place.country,
            taken=lambda slug: model.objects.filter(slug=slug).exists(),
            tiebreak=tiebreak,
        )

    @staticmethod
    def free_slug(model, base, suffix="", taken=None):
        """`base` + `suffix`, or with -2, -3... added where that is taken; `base` is cut
        short where needed to fit the model's slug field."""
        length = model._meta.get_field("slug").max_length
        taken = taken or (lambda slug: model.objects.filter(slug=slug).exists())
        n = 1
        while True:
            tail = suffix if n == 1 else f"{suffix}-{n}"
            candidate = base[: length - len(tail)].rstrip("-") + tail
            if not taken(candidate):
                return candidate
            n += 1


class Batch:
    """An article's new stories, their posts and links, written together at the end: a few
    bulk inserts, each story and post with its first version (as simple-history records it,
    with the story's places and source), whatever the article's length."""

    def __init__(self):
        self.stories = []
        self.posts = []
        self.links = []

    def add(self, story, posts, links):
        self.stories.append(story)
        self.posts.append(posts)
        self.links.append(links)

    def write(self, source, reason):
        if not self.stories:
            return
        Story.objects.bulk_create(self.stories)
        posts = []
        for story, story_posts in zip(self.stories, self.posts, strict=True):
            for post in story_posts:
                post.story = story  # its id, now that it has one
                posts.append(post)
        LinkedPost.objects.bulk_create(posts)
        relations = {"sources": [[source] for _ in self.stories]}
        for name in ("cities", "regions", "countries"):
            relations[name] = [links[name] for links in self.links]
        through_rows = {}
        for name, targets in relations.items():
            field = Story._meta.get_field(name)
            through = field.remote_field.through
            own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
            rows = [
                through(**{f"{own}_id": story.pk, f"{other}_id": target.pk})
                for story, story_targets in zip(self.stories, targets, strict=True)
                for target in story_targets
            ]
            through_rows[name] = through.objects.bulk_create(rows)
        # Cut to the history's column (a long file name would not fit).
        reason = reason[: Story.history.model._meta.get_field("history_change_reason").max_length]
        versions = Story.history.bulk_history_create(self.stories, default_change_reason=reason)
        LinkedPost.history.bulk_history_create(posts, default_change_reason=reason)
        version_of = {version.id: version for version in versions}
        history_model = Story.history.model
        for name, rows in through_rows.items():
            field = Story._meta.get_field(name)
            m2m_history = next(
                related.related_model
                for related in history_model._meta.related_objects
                if related.related_model._meta.object_name.endswith(f"_{name}")
            )
            own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
            m2m_history.objects.bulk_create(
                m2m_history(
                    id=row.pk,
                    history=version_of[getattr(row, f"{own}_id")],
                    **{f"{own}_id": getattr(row, f"{own}_id")},
                    **{f"{other}_id": getattr(row, f"{other}_id")},
                )
                for row in rows
            )


def import_articles(paths, *, dry_run=False):
    """Parse every file first (one bad file stops everything), then write them all in one
    transaction. Returns the parsed articles and the counts of what was (or would be) done."""
    with collector_paused():
        articles = [read_article(path) for path in paths]
        counts = Importer().run(articles, dry_run=dry_run)
    return articles, counts


@contextlib.contextmanager
def collector_paused():
    """The garbage collector off for the import, on again after it (also after a refusal).
    What an import makes lives until it ends, and the collector went through it again and
    again, more often the longer the article: 0.3 s of a 1 MB import, 3 s of a 5 MB one,
    for no memory (the peak is the same without it, docs/benchmarks.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# What an import counts, as plurals a translator can give every form of.
MADE = {
    "sources": ngettext_lazy("%(count)s source", "%(count)s sources", "count"),
    "stories": ngettext_lazy("%(count)s story", "%(count)s stories", "count"),
    "posts": ngettext_lazy("%(count)s post", "%(count)s posts", "count"),
    "cities": ngettext_lazy("%(count)s city", "%(count)s cities", "count"),
    "regions": ngettext_lazy("%(count)s region", "%(count)s regions", "count"),
    "countries": ngettext_lazy("%(count)s country", "%(count)s countries", "count"),
}
KEPT = {
    "articles already imported": ngettext_lazy(
        "%(count)s article already imported", "%(count)s articles already imported", "count"
    ),
    "posts already archived": ngettext_lazy(
        "%(count)s post already archived", "%(count)s posts already archived", "count"
    ),
}


def describe(counts):
    """'created 1 source, 6 stories, 4 posts; skipped 1 article already imported'."""
    separator = gettext(", ")
    made = separator.join(str(MADE[key] % {"count": counts[key]}) for key in MADE if counts[key])
    kept = separator.join(str(KEPT[key] % {"count": counts[key]}) for key in KEPT if counts[key])
    created = gettext("created %(things)s") % {"things": made} if made else None
    parts = [created or gettext("created nothing")]
    if linked := counts["stories given this source"]:
        parts.append(
            ngettext(
                "added the source to %(count)s existing story",
                "added the source to %(count)s existing stories",
                linked,
            )
            % {"count": linked}
        )
    if kept:
        parts.append(gettext("skipped %(things)s") % {"things": kept})
    # Translators: separates the parts of an import's report.
    return gettext("; ").join(parts)
