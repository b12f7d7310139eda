"""The whole archive as JSON Lines: the format (models, fields, the one spelling of each
value, the header), writing records and reading a file back. docs/archive-format.md
describes the format for people; `export` writes a database as it, `bulk_load` loads it,
`synthetic` generates it, `files` writes and reads the archived copies' files beside it.

The columns come from the models' metadata (concrete fields and many-to-many fields), so
fields added to the archive's models travel without changes here. Fields the database
derives (generated columns, full-text search vectors) are not archived: the database
rebuilds them (see `BulkLoader.finish()` in bulk_load.py).
"""

import datetime
import decimal
import json
from collections import Counter
from pathlib import Path

import orjson
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from tqdm import tqdm

from preservation.models import ArchivedCopy, CorrectionRequest, LinkCheck
from stories.models import (
    City,
    Country,
    LinkedPost,
    Performer,
    Region,
    SourceArticle,
    Story,
)

FORMAT = "lockdown-solidarity-archive"
# Version 2 added the preservation records (archived copies, link checks, correction
# requests) and the copies' files beside the archive; a version 1 file still loads.
VERSION = 2
READABLE_VERSIONS = (1, 2)
# Whole models, read into memory and written before the stories (they are small: places,
# people and sources), in the order their natural keys depend on each other.
REFERENCE_MODELS = [Country, Region, City, Performer, SourceArticle]
# Streamed: each story, then its posts, in canonical (natural key) order.
STORY_MODEL = Story
POST_MODEL = LinkedPost
POST_PARENT = "story"
# What the archive holds of what it cites (docs/preservation.md): a source article's link
# checks follow the reference records; a story's posts are followed by the story's copies,
# its posts' link checks and the correction requests about it, before the next story.
COPY_MODEL = ArchivedCopy
CHECK_MODEL = LinkCheck
REQUEST_MODEL = CorrectionRequest
PRESERVATION_MODELS = [COPY_MODEL, CHECK_MODEL, REQUEST_MODEL]
ARCHIVE_MODELS = [*REFERENCE_MODELS, STORY_MODEL, POST_MODEL, *PRESERVATION_MODELS]
# Kinds of field the database maintains from other columns: never exported, never loaded.
DERIVED_FIELD_TYPES = (models.GeneratedField, SearchVectorField)

UTC = datetime.UTC


class LoadError(Exception):
    """The archive cannot be loaded; the message gives the line and the reason."""

    def __init__(self, line, reason):
        self.line = line
        self.reason = reason
        where = f"line {line}" if isinstance(line, int) else line
        super().__init__(f"{where}: {reason}")


def label(model):
    return model._meta.label_lower


def is_derived(field):
    return isinstance(field, DERIVED_FIELD_TYPES) or getattr(field, "generated", False)


def archived_fields(model):
    """The concrete fields a record carries: everything but the primary key and derived data."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and not is_derived(f)]


def archived_m2m(model):
    return [f for f in model._meta.many_to_many if not is_derived(f)]


def default_value(field):
    """The JSON value a record lacking `field` stands for: its default, or empty. Raises
    LookupError for a field that has neither."""
    if field.many_to_many:
        return []
    if field.has_default():
        return jsonable(field.get_default())
    if field.null:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return dump_datetime(timezone.now())
    raise LookupError(f"{label(field.model)}.{field.name} has no default")


def header():
    return {
        "format": FORMAT,
        "version": VERSION,
        "models": {
            label(model): [f.name for f in archived_fields(model) + archived_m2m(model)]
            for model in ARCHIVE_MODELS
        },
    }


# Values as JSON: one spelling for each value, whatever the database.


def dump_datetime(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jsonable(value):
    """A Python value (a field's default) in its JSON spelling."""
    if isinstance(value, datetime.datetime):
        return dump_datetime(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def value_dumper(field):
    """A function from a database value to its one JSON spelling."""
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else dump_datetime(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.DecimalField):
        places = decimal.Decimal(1).scaleb(-field.decimal_places)
        return lambda v: None if v is None else format(v.quantize(places), "f")
    if isinstance(field, models.UUIDField):
        return lambda v: None if v is None else str(v)
    return None


def encode(record):
    """One line: UTF-8, no escapes beyond JSON's own, no spaces (json.dumps with
    ensure_ascii=False and separators=(",", ":") gives the same bytes, only slower)."""
    return orjson.dumps(record) + b"\n"


def write_archive(records, path):
    """Write records as JSON Lines to `path`; returns counts by model."""
    counts = Counter()
    with open(path, "wb") as out:
        for record in records:
            out.write(encode(record))
            counts[record.get("model", "header")] += 1
    del counts["header"]
    return counts


# Reading


class ArchiveReader:
    """Reads an archive file a line at a time: the header's model list, then (line number,
    record) pairs; raises LoadError on bad lines. `records(until=...)` can stop before the
    first record of some models, leaving `offset` and `line` at the start of that line, so
    that the rest can be read by others (bulk_load reads the stories in parallel)."""

    def __init__(self, path, *, progress=False):
        self.path = path
        self.stream = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            first = self.stream.readline()
            self.models = parse_header(first)
        except BaseException:
            self.stream.close()
            raise
        self.offset = len(first)  # where the next line starts
        self.line = 2  # its number
        self.bar = tqdm(
            total=Path(path).stat().st_size,
            initial=self.offset,
            unit="B",
            unit_scale=True,
            disable=not progress,
        )

    def records(self, until=()):
        for raw in self.stream:
            number = self.line
            record = parse_line(number, raw)
            if until and type(record) is dict and record.get("model") in until:
                return
            self.line += 1
            self.offset += len(raw)
            self.bar.update(len(raw))
            yield number, record

    def close(self):
        self.bar.close()
        self.stream.close()


def parse_line(number, raw):
    """The record on a line, refusing a line that is not JSON or where an object names a key
    twice (JSON parsers keep the last value silently). A line spelled as the export spells
    it is recognised by writing the record back: it is the line itself only if no key was
    dropped. Other lines are read again, checking each object's keys."""
    if not raw.strip():
        raise LoadError(number, "empty line")
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LoadError(number, f"not valid JSON ({exc})") from None
    canonical = orjson.dumps(record)
    end = len(raw) - 1 if raw[-1:] == b"\n" else len(raw)
    if len(canonical) != end or raw[:end] != canonical:
        check_unique_keys(number, raw)
    return record


class DuplicateKey(ValueError):
    pass


def unique_keys(pairs):
    """object_pairs_hook for json.loads: the object, or DuplicateKey for a repeated key."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return record


def check_unique_keys(number, raw):
    try:
        json.loads(raw, object_pairs_hook=unique_keys)
    except DuplicateKey as exc:
        key = exc.args[0]
        raise LoadError(
            number,
            f"the key {json.dumps(key, ensure_ascii=False)} appears twice in one object; "
            "give each field once",
        ) from None
    except ValueError:
        pass  # orjson read it: a spelling only the standard library refuses (NaN is not one)


def parse_header(raw):
    try:
        data = json.loads(raw, object_pairs_hook=unique_keys) if raw.strip() else None
    except DuplicateKey as exc:
        raise LoadError(1, f"the header names the key {exc.args[0]!r} twice") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LoadError(1, f"not an archive export: the first line must be the {FORMAT} header")
    if data.get("version") not in READABLE_VERSIONS:
        readable = " and ".join(str(version) for version in READABLE_VERSIONS)
        raise LoadError(
            1, f"format version {data.get('version')!r}; this loader reads versions {readable}"
        )
    if not isinstance(data.get("models"), dict):
        raise LoadError(1, "the header does not list the models")
    return data["models"]


def describe(counts, seconds=None):
    """'6 stories, 4 linked posts, 5 cities, ...' in the archive's order."""
    parts = [
        COUNTED[label(model)] % {"count": counts.get(label(model), 0)}
        for model in [STORY_MODEL, POST_MODEL, *REFERENCE_MODELS, *PRESERVATION_MODELS]
    ]
    # Translators: joins counts of different things: "6 stories, 4 linked posts".
    text = gettext(", ").join(str(part) for part in parts)
    if seconds is not None:
        # Translators: how long a command took: "6 stories, 4 linked posts in 0.3 s".
        text = gettext("%(counts)s in %(seconds).1f s") % {"counts": text, "seconds": seconds}
    return text


# How each archived model is counted in a command's report, as a plural a translator can
# give every form of (the models' verbose names have only two).
COUNTED = {
    label(STORY_MODEL): ngettext_lazy("%(count)s story", "%(count)s stories", "count"),
    label(POST_MODEL): ngettext_lazy("%(count)s linked post", "%(count)s linked posts", "count"),
    label(Country): ngettext_lazy("%(count)s country", "%(count)s countries", "count"),
    label(Region): ngettext_lazy("%(count)s region", "%(count)s regions", "count"),
    label(City): ngettext_lazy("%(count)s city", "%(count)s cities", "count"),
    label(Performer): ngettext_lazy("%(count)s performer", "%(count)s performers", "count"),
    label(SourceArticle): ngettext_lazy(
        "%(count)s source article", "%(count)s source articles", "count"
    ),
    label(COPY_MODEL): ngettext_lazy(
        "%(count)s archived copy", "%(count)s archived copies", "count"
    ),
    label(CHECK_MODEL): ngettext_lazy("%(count)s link check", "%(count)s link checks", "count"),
    label(REQUEST_MODEL): ngettext_lazy(
        "%(count)s correction request", "%(count)s correction requests", "count"
    ),
}
