"""Reading news articles into draft stories.

An article in the seed's form is UTF-8 text that starts with a date header (` date
2020-03-16 `) followed by paragraphs separated by one blank line. An embedded post is written
as it reads on the page once the embed is gone:

    text pic.twitter.com/ID — Name (@handle) Month D, YYYY

where the media link and the date may be missing, and a post's own paragraphs are separated by
several blank lines. Each post becomes a story together with the prose paragraph just before
it; prose with no post after it becomes a story of its own. Nothing is published: stories are
drafts for editors to review.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext, ngettext_lazy

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

# A first guess at the kind of act, from words in the story; editors correct it.
KIND_WORDS = [
    (Story.Kind.DJ_SET, re.compile(r"\bDJs?\b")),
    (Story.Kind.MUSIC, re.compile(r"\b(sing|sang|song|concert|aria|music|instrument)", re.I)),
    (Story.Kind.APPLAUSE, re.compile(r"\b(clap|applau|cheer)", re.I)),
    (Story.Kind.WORKOUT, re.compile(r"\b(work(ing)? out|workout|fitness|trainer|exercis)", re.I)),
]


class ArticleError(Exception):
    """The file is not an article of the expected form; the message names file and reason."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")


@dataclass
class ParsedPost:
    text: str
    author_name: str
    handle: str
    posted_on: datetime.date | None
    media_url: str = ""
    url: str = ""

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

    @property
    def body(self):
        return "\n\n".join(self.prose)

    @property
    def event_date(self):
        """The day of the earliest dated post: the best evidence when the article gives none."""
        dates = [post.posted_on for post in self.posts if post.posted_on]
        return min(dates) if dates else None

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
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ArticleError(path, f"cannot be read ({exc.strerror or exc})") from exc
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
    body = text[header.end() :].strip()
    if not body:
        raise ArticleError(path, "has a date header but no text after it")
    return parse_article(str(path), date, body)


def parse_article(path, date, body):
    stories = group_stories(split_blocks(body))
    places = gazetteer()
    for story in stories:
        text = "\n\n".join([*story.prose, *(post.text for post in story.posts)])
        story.places = linked_places(places.find_places(text, body))
    return ParsedArticle(path, date, body, stories)


def split_blocks(body):
    """The article as a list of prose paragraphs (str) and runs of posts (list)."""
    items = []
    for block in BLOCK_BREAK.split(body):
        block = block.strip()
        if not block:
            continue
        posts, rest = parse_posts(block)
        if posts:
            items.append(posts)
            if rest:
                items.append(rest)
        else:
            items.append(" ".join(block.split()))
    return items


def parse_posts(block):
    """The posts embedded in a paragraph, and any prose left after the last of them."""
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
                posted_on=parse_post_date(match["date"]),
                media_url=media,
                url=url,
            )
        )
        position = match.end()
    rest = " ".join(block[position:].split()).strip(" .:;,")
    return posts, rest


def parse_post_date(words):
    if not words:
        return None
    return datetime.datetime.strptime(" ".join(words.replace(",", "").split()), "%B %d %Y").date()


def group_stories(items):
    """A prose paragraph goes with the posts right after it; other prose stands alone."""
    stories = []
    pending = None
    for item in items:
        if isinstance(item, str):
            if pending is not None:
                stories.append(ParsedStory([pending], []))
            pending = item
        else:
            stories.append(ParsedStory([pending] if pending else [], item))
            pending = None
    if pending is not None:
        stories.append(ParsedStory([pending], []))
    return stories


def linked_places(places):
    """The places a story is linked to: a country only when none of its cities or regions is."""
    covered = {place.country for place in places if place.kind != COUNTRY}
    return [place for place in places if place.kind != COUNTRY or place.country not in covered]


# Writing


class Importer:
    """Writes parsed articles as draft stories with ordinary ORM saves (so history, where
    installed, records them), all in one transaction; counts what it did."""

    def __init__(self):
        self.counts = Counter()

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
        if source is None:
            source = SourceArticle.objects.create(
                slug=self.free_slug(SourceArticle, article.slug),
                published_on=article.date,
                excerpt=article.text,
            )
            self.counts["sources"] += 1
        for number, parsed in enumerate(article.stories, 1):
            self.import_story(source, article, number, parsed)

    def import_story(self, source, article, number, parsed):
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
        story = Story.objects.create(
            title=parsed.title,
            slug=self.free_slug(Story, f"{source.slug}-{number}"),
            summary="",
            body=parsed.body,
            kind=parsed.kind,
            start_date=date,
            end_date=date,
            status=Story.Status.DRAFT,
            curator_notes=self.notes(article, parsed, archived),
        )
        self.counts["stories"] += 1
        story.sources.add(source)
        for position, post in enumerate(new_posts, 1):
            LinkedPost.objects.create(
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
            self.counts["posts"] += 1
        self.counts["posts already archived"] += len(parsed.posts) - len(new_posts)
        for place in parsed.places:
            if place.kind == CITY:
                story.cities.add(self.city(place))
            elif place.kind == REGION:
                story.regions.add(self.region(place))
            else:
                story.countries.add(self.country(place.country))

    def notes(self, article, parsed, archived):
        lines = [f"Imported from {Path(article.path).name}; check the title, kind and places."]
        dated = [post for post in parsed.posts if post.posted_on]
        if dated:
            first = min(dated, key=lambda post: post.posted_on)
            lines.append(
                f"The event date is the day of the post that documented it ({first.author_name}, "
                f"{first.posted_on:%-d %B %Y}); check whether the article gives the day itself."
            )
        else:
            lines.append("No dated post: the event date is left unknown.")
        for old in filter(None, archived):
            lines.append(f"A post by @{old.handle} is already archived in “{old.story.slug}”.")
        return "\n".join(lines)

    def archived_post(self, post):
        for field_name in ("url", "media_url"):
            value = getattr(post, field_name)
            if value:
                found = LinkedPost.objects.filter(**{field_name: value}).first()
                if found:
                    return found
        return None

    def country(self, code):
        country, created = Country.objects.get_or_create(
            code=code, defaults={"name": gazetteer().country(code).name}
        )
        self.counts["countries"] += created
        return country

    def city(self, place):
        city = (
            City.objects.filter(geonames_id=place.geonames_id).first()
            or City.objects.filter(
                name=place.name, country__code=place.country, geonames_id=None
            ).first()
        )
        if city is None:
            latitude, longitude = place.coordinates
            city = City.objects.create(
                name=place.name,
                slug=self.place_slug(City, place, tiebreak=str(place.geonames_id)),
                country=self.country(place.country),
                latitude=latitude,
                longitude=longitude,
                geonames_id=place.geonames_id,
            )
            self.counts["cities"] += 1
        return city

    def region(self, place):
        region = Region.objects.filter(name=place.name, country__code=place.country).first()
        if region is None:
            region = Region.objects.create(
                name=place.name,
                slug=self.place_slug(Region, place, tiebreak=place.code.lower()),
                country=self.country(place.country),
            )
            self.counts["regions"] += 1
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
    def free_slug(model, slug):
        candidate, n = slug, 1
        while model.objects.filter(slug=candidate).exists():
            n += 1
            candidate = f"{slug}-{n}"
        return candidate


def import_articles(paths, *, dry_run=False):
    """Parse every file first (one bad file stops everything), then write them all in one
    transaction. Returns the parsed articles and the counts of what was (or would be) done."""
    articles = [read_article(path) for path in paths]
    counts = Importer().run(articles, dry_run=dry_run)
    return articles, counts


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
