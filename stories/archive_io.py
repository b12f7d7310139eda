"""The whole archive as JSON Lines: written by export_archive, read back by load_archive and
generate_archive. docs/archive-format.md describes the format for people who read it.

The columns come from the models' metadata (concrete fields and many-to-many fields), so
fields added to the archive's models travel without changes here. Fields the database
derives (generated columns, full-text search vectors) are not exported: they are rebuilt
after a load, in `refresh_derived_data()`.

Loading is a restore into an empty archive: rows are inserted in batches with primary keys
assigned here (COPY through psycopg 3 on PostgreSQL, executemany on SQLite), natural keys
are resolved through small in-memory maps, and everything happens in one transaction.
Memory stays bounded: the file is read a line at a time and a story's posts follow it.
"""

import datetime
import decimal
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Collate
from django.utils import timezone
from tqdm import tqdm

from stories.models import (
    City,
    Country,
    LinkedPost,
    LoadRecord,
    Performer,
    Region,
    SourceArticle,
    Story,
)

FORMAT = "lockdown-solidarity-archive"
VERSION = 1
# Whole models, read into memory and written before the stories (they are small: places,
# people and sources), in the order their natural keys depend on each other.
REFERENCE_MODELS = [Country, Region, City, Performer, SourceArticle]
# Streamed: each story, then its posts, in canonical (natural key) order.
STORY_MODEL = Story
POST_MODEL = LinkedPost
POST_PARENT = "story"
ARCHIVE_MODELS = [*REFERENCE_MODELS, STORY_MODEL, POST_MODEL]
# Kinds of field the database maintains from other columns: never exported, never loaded.
DERIVED_FIELD_TYPES = (models.GeneratedField, SearchVectorField)

BATCH_SIZE = 5000
STORY_CHUNK = 2000
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


ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(record):
    return ENCODER.encode(record) + "\n"


# Export


class Exporter:
    def __init__(self):
        # Natural keys of the reference models, by primary key: {model: {pk: ["IT"]}}.
        self.keys = {}

    def records(self, progress=False):
        yield header()
        for model in REFERENCE_MODELS:
            yield from self.reference_records(model)
        yield from self.story_records(progress)

    def columns(self, model):
        """(field, attname, dumper) for each archived field; foreign keys dump natural keys."""
        columns = []
        for f in archived_fields(model):
            if f.is_relation:
                keys = self.keys.get(f.related_model)
                if keys is None:
                    raise ValueError(f"{label(model)}.{f.name} refers outside the archive.")
                columns.append((f.name, f.attname, _key_dumper(keys)))
            else:
                columns.append((f.name, f.attname, value_dumper(f)))
        return columns

    def reference_records(self, model):
        objects = sorted(model.objects.all(), key=lambda obj: obj.natural_key())
        self.keys[model] = {obj.pk: list(obj.natural_key()) for obj in objects}
        columns = self.columns(model)
        m2m = {f.name: self.m2m_map(f, [obj.pk for obj in objects]) for f in archived_m2m(model)}
        for obj in objects:
            fields = {
                name: dump(getattr(obj, attname)) if dump else getattr(obj, attname)
                for name, attname, dump in columns
            }
            for name, related in m2m.items():
                fields[name] = related.get(obj.pk, [])
            yield {"model": label(model), "fields": fields}

    def m2m_map(self, field, pks):
        """{owner pk: sorted natural keys of the related rows} for the given owners."""
        through = field.remote_field.through
        owner = field.m2m_field_name() + "_id"
        target = field.m2m_reverse_field_name() + "_id"
        keys = self.keys[field.related_model]
        related = defaultdict(list)
        for start in range(0, len(pks), STORY_CHUNK):
            rows = through.objects.filter(**{f"{owner}__in": pks[start : start + STORY_CHUNK]})
            for owner_pk, target_pk in rows.values_list(owner, target):
                related[owner_pk].append(keys[target_pk])
        for values in related.values():
            values.sort()
        return related

    def story_records(self, progress):
        story_columns = self.columns(STORY_MODEL)
        post_columns = [
            (name, attname, dump)
            for name, attname, dump in self.post_columns()
            if name != POST_PARENT
        ]
        m2m_fields = archived_m2m(STORY_MODEL)
        attnames = [attname for _, attname, _ in story_columns]
        slug_at = attnames.index("slug")
        stories = (
            STORY_MODEL.objects.order_by(canonical("slug"))
            .values_list("pk", *attnames)
            .iterator(chunk_size=STORY_CHUNK)
        )
        total = STORY_MODEL.objects.count()
        with tqdm(total=total, unit=" stories", disable=not progress) as bar:
            for chunk in _chunks(stories, STORY_CHUNK):
                pks = [row[0] for row in chunk]
                related = {f.name: self.m2m_map(f, pks) for f in m2m_fields}
                posts = self.posts_by_story(pks, post_columns)
                for row in chunk:
                    fields = {
                        name: dump(value) if dump else value
                        for (name, _, dump), value in zip(story_columns, row[1:], strict=True)
                    }
                    for name, by_story in related.items():
                        fields[name] = by_story.get(row[0], [])
                    yield {"model": label(STORY_MODEL), "fields": fields}
                    story_key = [row[1 + slug_at]]
                    for post in posts.get(row[0], []):
                        yield {
                            "model": label(POST_MODEL),
                            "fields": {POST_PARENT: story_key, **post},
                        }
                bar.update(len(chunk))

    def post_columns(self):
        columns = []
        for f in archived_fields(POST_MODEL):
            if f.name == POST_PARENT:
                columns.append((f.name, f.attname, None))
            elif f.is_relation:
                raise ValueError(f"{label(POST_MODEL)}.{f.name} refers outside the archive.")
            else:
                columns.append((f.name, f.attname, value_dumper(f)))
        return columns

    def posts_by_story(self, story_pks, columns):
        parent = POST_PARENT + "_id"
        rows = (
            POST_MODEL.objects.filter(**{f"{parent}__in": story_pks})
            .order_by(parent, "position")
            .values_list(parent, *[attname for _, attname, _ in columns])
        )
        posts = defaultdict(list)
        for story_pk, *values in rows:
            posts[story_pk].append(
                {
                    name: dump(value) if dump else value
                    for (name, _, dump), value in zip(columns, values, strict=True)
                }
            )
        return posts


def _key_dumper(keys):
    return lambda pk: None if pk is None else keys[pk]


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def canonical(field_name):
    """Order by code point (byte order of UTF-8), the same on every database and in Python."""
    if connection.vendor == "postgresql":
        return Collate(field_name, "C")
    return field_name  # SQLite's default BINARY collation is already byte order.


def write_archive(records, path):
    """Write records as JSON Lines to `path`; returns counts by model."""
    counts = Counter()
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(encode(record))
            counts[record.get("model", "header")] += 1
    del counts["header"]
    return counts


def export_archive(path, *, progress=False):
    return write_archive(Exporter().records(progress), path)


# Load


@dataclass
class Column:
    name: str
    field: models.Field
    load: object  # JSON value -> database value, or raise ValueError
    reference: type | None = None


class BulkLoader:
    """Takes records (as JSON-decoded dicts, with the line they came from) and inserts them in
    batches. Call `finish()` at the end, inside the caller's transaction."""

    def __init__(self, header_models=None):
        self.postgres = connection.vendor == "postgresql"
        self.ids = {}  # {model: {natural key tuple: pk}} for the reference models
        self.next_pk = Counter()
        self.buffers = defaultdict(list)  # {(table, columns): [(line, row), ...]}
        self.counts = Counter()
        self.current_story = None  # (natural key, pk) of the story whose posts may follow
        self.models = {label(model): model for model in ARCHIVE_MODELS}
        self.columns = {model: self.build_columns(model) for model in ARCHIVE_MODELS}
        self.m2m = {model: archived_m2m(model) for model in ARCHIVE_MODELS}
        self.known = {
            model: {c.name for c in self.columns[model]} | {f.name for f in self.m2m[model]}
            for model in ARCHIVE_MODELS
        }
        self.defaults = {}
        if header_models is not None:
            self.check_header_models(header_models)

    def check_header_models(self, header_models):
        for name, fields in header_models.items():
            model = self.models.get(name)
            if model is None:
                raise LoadError(1, f"the archive holds {name}, which this database does not know")
            unknown = sorted(set(fields) - self.known[model])
            if unknown:
                raise LoadError(
                    1, f"the archive has fields this database lacks: {name}.{', '.join(unknown)}"
                )
        for model in ARCHIVE_MODELS:
            missing = self.known[model] - set(header_models.get(label(model), []))
            # Fields added since the archive was written take their defaults.
            self.defaults[model] = {name: self.default(model, name) for name in missing}

    def default(self, model, name):
        field = model._meta.get_field(name)
        if field.many_to_many:
            return []
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return dump_datetime(timezone.now())
        raise LoadError(1, f"the archive lacks {label(model)}.{name}, which has no default")

    def build_columns(self, model):
        columns = []
        for f in archived_fields(model):
            reference = f.related_model if f.is_relation else None
            columns.append(
                Column(f.name, f, None if reference else self.value_loader(f), reference)
            )
        return columns

    def value_loader(self, field):
        """A function from a JSON value to the value to insert, raising ValueError."""
        null = field.null
        choices = {value for value, _ in field.flatchoices} if field.choices else None
        max_length = field.max_length

        def nullable(convert):
            def load(value):
                if value is None:
                    if null:
                        return None
                    raise ValueError("may not be empty (null)")
                return convert(value)

            return load

        if isinstance(field, models.DateTimeField):

            def convert(value):
                parsed = datetime.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError(f"{value!r} has no time zone")
                if self.postgres:
                    return parsed
                return parsed.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

            return nullable(convert)
        if isinstance(field, models.DateField):

            def convert(value):
                parsed = datetime.date.fromisoformat(value)
                return parsed if self.postgres else parsed.isoformat()

            return nullable(convert)
        if isinstance(field, models.DecimalField):
            places = decimal.Decimal(1).scaleb(-field.decimal_places)
            limit = decimal.Decimal(10) ** (field.max_digits - field.decimal_places)

            def convert(value):
                if not isinstance(value, str):
                    raise ValueError(f"{value!r} is not a decimal written as a string")
                number = decimal.Decimal(value).quantize(places)
                if not number.is_finite() or abs(number) >= limit:
                    raise ValueError(f"{value!r} is out of range")
                return number

            return nullable(convert)
        if isinstance(field, models.BooleanField):

            def convert(value):
                if not isinstance(value, bool):
                    raise ValueError(f"{value!r} is not true or false")
                return value

            return nullable(convert)
        if isinstance(field, models.IntegerField):
            low = max(
                (v.limit_value for v in field.validators if isinstance(v, MinValueValidator)),
                default=None,
            )
            high = min(
                (v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)),
                default=None,
            )

            def convert(value):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{value!r} is not a whole number")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(f"{value} is out of range")
                return value

            return nullable(convert)
        if isinstance(field, models.CharField | models.TextField):

            def convert(value):
                if not isinstance(value, str):
                    raise ValueError(f"{value!r} is not text")
                if max_length is not None and len(value) > max_length:
                    raise ValueError(f"is longer than {max_length} characters")
                if choices is not None and value not in choices and value != "":
                    raise ValueError(f"{value!r} is not one of {', '.join(sorted(choices))}")
                return value

            return nullable(convert)

        def convert(value):
            return field.get_db_prep_save(field.to_python(value), connection)

        return nullable(convert)

    # Records

    def check_empty(self):
        for model in ARCHIVE_MODELS:
            if model.objects.exists():
                raise LoadError(
                    "before line 2",
                    f"the database already holds {model._meta.verbose_name_plural}; "
                    "an archive is loaded into an empty one (run `manage.py flush` first)",
                )

    def add(self, line, record):
        if not isinstance(record, dict) or not isinstance(record.get("fields"), dict):
            raise LoadError(line, 'not a record: expected {"model": ..., "fields": {...}}')
        model = self.models.get(record.get("model"))
        if model is None:
            raise LoadError(line, f"unknown model {record.get('model')!r}")
        fields = record["fields"]
        unknown = fields.keys() - self.known[model]
        if unknown:
            raise LoadError(line, f"{label(model)} has no field {', '.join(sorted(unknown))}")
        defaults = self.defaults.get(model, {})
        pk = self.next_pk[model] = self.next_pk[model] + 1
        row = [pk]
        for column in self.columns[model]:
            value = fields.get(column.name, _MISSING)
            if value is _MISSING:
                value = defaults.get(column.name, _MISSING)
                if value is _MISSING:
                    raise LoadError(line, f"{label(model)} lacks the field {column.name!r}")
            if column.reference is not None:
                row.append(self.resolve(line, model, column, value))
                continue
            try:
                row.append(column.load(value))
            except (ValueError, TypeError, ValidationError, decimal.InvalidOperation) as exc:
                reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc
                raise LoadError(line, f"{label(model)}.{column.name}: {reason}") from None
        key = self.natural_key(line, model, fields)
        if model is STORY_MODEL:
            self.current_story = (key, pk)
        elif model is not POST_MODEL:
            known = self.ids.setdefault(model, {})
            if key in known:
                raise LoadError(line, f"a second {label(model)} with the key {list(key)}")
            known[key] = pk
        self.buffer(line, model._meta.db_table, ["id", *self.attnames(model)], row)
        for field in self.m2m[model]:
            targets = fields.get(field.name, defaults.get(field.name, []))
            self.add_m2m(line, model, field, pk, targets)
        self.counts[label(model)] += 1

    def attnames(self, model):
        return [column.field.column for column in self.columns[model]]

    def natural_key(self, line, model, fields):
        if model is STORY_MODEL:
            return (fields.get("slug"),)
        if model is POST_MODEL:
            return None
        key_fields = NATURAL_KEY_FIELDS[model]
        return tuple(fields.get(name) for name in key_fields)

    def resolve(self, line, model, column, key):
        if key is None:
            if column.field.null:
                return None
            raise LoadError(line, f"{label(model)}.{column.name} may not be empty (null)")
        if not isinstance(key, list):
            raise LoadError(line, f"{label(model)}.{column.name}: {key!r} is not a natural key")
        if column.reference is STORY_MODEL:
            if self.current_story is None or tuple(key) != self.current_story[0]:
                before = self.current_story[0][0] if self.current_story else "none"
                raise LoadError(
                    line,
                    f"{label(model)} belongs to story {key}, but the story just before it is "
                    f"{before!r}: a story's posts follow it directly",
                )
            return self.current_story[1]
        pk = self.ids.get(column.reference, {}).get(tuple(key))
        if pk is None:
            raise LoadError(
                line,
                f"{label(model)}.{column.name} refers to {label(column.reference)} {key}, "
                "which the archive does not hold before this line",
            )
        return pk

    def add_m2m(self, line, model, field, pk, targets):
        if not isinstance(targets, list):
            raise LoadError(line, f"{label(model)}.{field.name} must be a list of natural keys")
        known = self.ids.get(field.related_model, {})
        through = field.remote_field.through
        columns = [
            through._meta.get_field(field.m2m_field_name()).column,
            through._meta.get_field(field.m2m_reverse_field_name()).column,
        ]
        seen = set()
        for key in targets:
            target = known.get(tuple(key)) if isinstance(key, list) else None
            if target is None:
                raise LoadError(
                    line,
                    f"{label(model)}.{field.name} refers to {label(field.related_model)} "
                    f"{key}, which the archive does not hold before this line",
                )
            if target in seen:
                raise LoadError(line, f"{label(model)}.{field.name} lists {key} twice")
            seen.add(target)
            self.buffer(line, through._meta.db_table, columns, (pk, target))

    # Writing

    def buffer(self, line, table, columns, row):
        rows = self.buffers[(table, tuple(columns))]
        rows.append((line, row))
        if len(rows) >= BATCH_SIZE:
            self.flush(table, tuple(columns))

    def flush(self, table, columns):
        rows = self.buffers.pop((table, columns), [])
        if not rows:
            return
        try:
            if self.postgres:
                self.copy(table, columns, rows)
            else:
                self.insert(table, columns, rows)
        except (DatabaseError, *_driver_errors()) as exc:
            first, last = rows[0][0], rows[-1][0]
            message = " ".join(str(exc).split())
            raise LoadError(
                f"lines {first}-{last}", f"the database refused a batch for {table}: {message}"
            ) from None

    def copy(self, table, columns, rows):
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy,
        ):
            for _, row in rows:
                copy.write_row(row)

    def insert(self, table, columns, rows):
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})",
                [row for _, row in rows],
            )

    def finish(self):
        for table, columns in list(self.buffers):
            self.flush(table, columns)
        if self.postgres:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), ARCHIVE_MODELS):
                    cursor.execute(sql)
        refresh_derived_data()
        return self.counts


_MISSING = object()

# How each reference model's natural key is spelled in its record's fields.
NATURAL_KEY_FIELDS = {
    Country: ["code"],
    Region: ["slug"],
    City: ["slug"],
    Performer: ["slug"],
    SourceArticle: ["slug"],
}


def _driver_errors():
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return ()
    return (psycopg.Error,)


def refresh_derived_data():
    """THE place to rebuild what the database derives from the loaded rows, set-based, once
    per bulk load (load_archive and generate_archive both come here, inside their
    transaction): for example a stored full-text search vector on Story. Bulk loads insert
    rows directly and skip model save() methods and signals, so nothing else does it."""


def read_records(path, *, progress=False):
    """(line number, record) for each line after the header; raises LoadError on bad lines.
    Yields the header's model list first, as line 1."""
    size = Path(path).stat().st_size
    with open(path, "rb") as stream:
        first = stream.readline()
        yield 1, parse_header(first)
        with tqdm(
            total=size, initial=len(first), unit="B", unit_scale=True, disable=not progress
        ) as bar:
            for number, raw in enumerate(stream, 2):
                bar.update(len(raw))
                if not raw.strip():
                    raise LoadError(number, "empty line")
                try:
                    yield number, json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise LoadError(number, f"not valid JSON ({exc})") from None


def parse_header(raw):
    try:
        data = json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LoadError(1, f"not an archive export: the first line must be the {FORMAT} header")
    if data.get("version") != VERSION:
        raise LoadError(
            1, f"format version {data.get('version')!r}; this loader reads version {VERSION}"
        )
    if not isinstance(data.get("models"), dict):
        raise LoadError(1, "the header does not list the models")
    return data["models"]


def bulk_load(records, *, command, source, header_models=None):
    """Load records into an empty archive in one transaction; leaves a LoadRecord."""
    started = timezone.now()
    with transaction.atomic():
        loader = BulkLoader(header_models)
        loader.check_empty()
        for line, record in records:
            loader.add(line, record)
        counts = loader.finish()
        LoadRecord.objects.create(
            command=command,
            source=source[:500],
            started_at=started,
            finished_at=timezone.now(),
            counts=dict(sorted(counts.items())),
        )
    return counts


def load_archive(path, *, progress=False):
    records = read_records(path, progress=progress)
    _, header_models = next(records)
    return bulk_load(
        records,
        command="load_archive",
        source=str(Path(path).resolve()),
        header_models=header_models,
    )


def describe(counts, seconds=None):
    """'6 stories, 4 posts, 5 cities, ...' in the archive's order."""
    parts = []
    for model in [STORY_MODEL, POST_MODEL, *REFERENCE_MODELS]:
        n = counts.get(label(model), 0)
        name = model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural
        parts.append(f"{n} {name}")
    text = ", ".join(parts)
    if seconds is not None:
        text += f" in {seconds:.1f} s"
    return text


def elapsed(started):
    return time.monotonic() - started
