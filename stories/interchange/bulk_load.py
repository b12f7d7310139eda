"""Loading archive records into an empty archive, fast: load_archive and generate_archive.

Records (JSON-decoded dicts, each with the line it came from) are checked and turned into
rows here, with primary keys assigned in file order and natural keys resolved through
in-memory maps of the small reference tables; a story's posts follow it, so only the current
story needs remembering and memory stays bounded. Rows go to the database in batches: COPY
through psycopg 3 on PostgreSQL, executemany on SQLite. On PostgreSQL the archive tables'
foreign keys, unique constraints and secondary indexes are dropped for the load and rebuilt
from their own definitions at the end (as pg_restore does), which checks them all in one
pass. Everything happens in one transaction: any refusal leaves the database as it was.

Bulk loads skip model save() methods, signals and per-row history; each leaves one
LoadRecord instead. Derived data is not computed in the load's transaction: the stories'
search vectors are left empty, and the commands fill them in after the commit, in batches
(`stories.search.index_missing_vectors()`), while the site already serves the archive.

On PostgreSQL with more than one core, the stories are read by worker processes (see
`BulkLoader.add_in_parallel`); reading and checking the JSON is what limits a load there.
"""

import datetime
import decimal
import gc
import multiprocessing
import os
import queue
import re
import threading
import time
from collections import Counter, deque
from pathlib import Path

from django.core.management.color import no_style
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from psycopg._copy_base import TextFormatter  # the formatter behind Copy.write_row
from psycopg.adapt import Transformer

from stories.interchange.archive import (
    ARCHIVE_MODELS,
    POST_MODEL,
    STORY_MODEL,
    ArchiveReader,
    LoadError,
    archived_fields,
    archived_m2m,
    dump_datetime,
    label,
    parse_line,
)
from stories.models import City, Country, LoadRecord, Performer, Region, SourceArticle
from stories.search import pause_search_triggers, resume_search_triggers

BATCH_SIZE = 10_000
# On PostgreSQL the stories are read by this many worker processes (one per core, and at
# least two to be worth it): reading and checking the JSON is what limits a load.
LOAD_WORKERS = min(os.cpu_count() or 1, 4)
# A story's line as export_archive and generate_archive write it: where the story section is
# cut into chunks for the workers, so that a story and its posts stay together.
STORY_LINE = b'\n{"model":"stories.story"'
CHUNK_BYTES = 4 * 2**20
# Lines written another way (spaces, other key order) are not cut: past this much without a
# story line as above, the rest is read in order by the main process.
MAX_CHUNK_BYTES = 64 * 2**20
COPY_LINE = re.compile(r"COPY \S+, line (\d+)")
UTC = datetime.UTC

# How each reference model's natural key is spelled in its record's fields.
NATURAL_KEY_FIELDS = {
    Country: ["code"],
    Region: ["slug"],
    City: ["slug"],
    Performer: ["slug"],
    SourceArticle: ["slug"],
}


def refresh_derived_data():
    """THE place for what the database derives from the loaded rows, once per bulk load
    (load_archive and generate_archive both come here, inside their transaction, after every
    row is in). The search triggers that `start()` paused are switched back on; the vectors
    of the loaded stories stay empty until `index_missing_vectors()` fills them after the
    commit (computing them here took longer than the rest of a million-story load)."""
    resume_search_triggers()


def load_archive(path, *, progress=False):
    reader = ArchiveReader(path, progress=progress)
    try:
        parallel = connection.vendor == "postgresql" and LOAD_WORKERS > 1
        until = {label(STORY_MODEL), label(POST_MODEL)} if parallel else ()
        return bulk_load(
            reader.records(until=until),
            command="load_archive",
            source=str(Path(path).resolve()),
            header_models=reader.models,
            stories=StorySection(reader, LOAD_WORKERS) if parallel else None,
        )
    finally:
        reader.close()


def bulk_load(records, *, command, source, header_models=None, stories=None):
    """Load (line, record) pairs into an empty archive in one transaction; leaves a
    LoadRecord. Returns counts by model label. With `stories` (a StorySection), the records
    are the reference section, and the stories after them are read by worker processes."""
    started = timezone.now()
    with transaction.atomic():
        loader = BulkLoader(header_models)
        loader.check_empty()
        loader.start()
        add = loader.add
        line = 1
        try:
            for line, record in records:
                add(line, record)
            if stories is not None:
                line = loader.add_in_parallel(stories) or line
            counts = loader.finish(last_line=line)
        finally:
            loader.abandon()
        LoadRecord.objects.create(
            command=command,
            source=source[:500],
            started_at=started,
            finished_at=timezone.now(),
            counts=dict(sorted(counts.items())),
        )
    return counts


class Buffer:
    """Rows waiting for one table, with the line each came from (for a many-to-many table,
    where rows are pairs of keys, only the first and last line of the batch)."""

    def __init__(self, table, columns, pairs=False):
        self.table = table
        self.columns = columns
        self.pairs = pairs
        self.rows = []
        self.lines = []
        self.first_line = self.last_line = None


class Plan:
    """How records of one model become rows: loaders by field, many-to-many targets."""

    def __init__(self, model):
        self.model = model
        self.label = label(model)
        self.fields = archived_fields(model)
        self.m2m = archived_m2m(model)
        self.known = frozenset(f.name for f in self.fields + self.m2m)
        self.defaults = {}
        self.loaders = []
        self.m2m_targets = []
        self.buffer = None
        self.build = None
        self.count = 0


class BulkLoader:
    def __init__(self, header_models=None):
        self.postgres = connection.vendor == "postgresql"
        self.ids = {model: {} for model in ARCHIVE_MODELS}  # natural key tuple -> pk
        self.buffers = []
        self.story_key = None
        self.story_pk = None
        self.suspended = ([], [])
        self.writer = None
        self.plans = {label(model): Plan(model) for model in ARCHIVE_MODELS}
        for plan in self.plans.values():
            self.prepare(plan)
        if header_models is not None:
            self.check_header_models(header_models)

    # Preparing

    def prepare(self, plan):
        columns = ["id"]
        for field in plan.fields:
            columns.append(field.column)
            if field.is_relation:
                plan.loaders.append((field.name, self.reference_loader(plan, field)))
            else:
                plan.loaders.append((field.name, self.value_loader(field)))
        plan.buffer = self.new_buffer(plan.model._meta.db_table, columns)
        plan.build = compile_row_builder(plan)
        for field in plan.m2m:
            through = field.remote_field.through
            buffer = self.new_buffer(
                through._meta.db_table,
                [
                    through._meta.get_field(field.m2m_field_name()).column,
                    through._meta.get_field(field.m2m_reverse_field_name()).column,
                ],
                pairs=True,
            )
            plan.m2m_targets.append(
                (field.name, self.ids[field.related_model], label(field.related_model), buffer)
            )

    def new_buffer(self, table, columns, pairs=False):
        buffer = Buffer(table, columns, pairs)
        self.buffers.append(buffer)
        return buffer

    def check_header_models(self, header_models):
        for name, fields in header_models.items():
            plan = self.plans.get(name)
            if plan is None:
                raise LoadError(1, f"the archive holds {name}, which this database does not know")
            unknown = sorted(set(fields) - plan.known)
            if unknown:
                raise LoadError(
                    1, f"the archive has fields this database lacks: {name}.{', '.join(unknown)}"
                )
        for plan in self.plans.values():
            for name in plan.known - set(header_models.get(plan.label, [])):
                # A field added since the archive was written takes its default.
                plan.defaults[name] = self.default(plan.model, name)

    def default(self, model, name):
        field = model._meta.get_field(name)
        if field.many_to_many:
            return []
        if field.has_default():
            return _jsonable(field, field.get_default())
        if field.null:
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return dump_datetime(timezone.now())
        raise LoadError(1, f"the archive lacks {label(model)}.{name}, which has no default")

    def reference_loader(self, plan, field):
        null = field.null
        if field.related_model is STORY_MODEL:

            def load(key):
                if key is None or tuple(key) != self.story_key:
                    before = self.story_key[0] if self.story_key else "none"
                    raise ValueError(
                        f"belongs to story {key}, but the story just before it is "
                        f"{before!r}: a story's posts follow it directly"
                    )
                return self.story_pk

            return load
        ids = self.ids[field.related_model]
        target = label(field.related_model)

        def load(key):
            if key is None:
                if null:
                    return None
                raise ValueError("may not be empty (null)")
            pk = ids.get(tuple(key)) if type(key) is list else None
            if pk is None:
                raise ValueError(
                    f"refers to {target} {key}, which the archive does not hold before this line"
                )
            return pk

        return load

    def value_loader(self, field):
        """A function from a JSON value to the value to insert; raises ValueError."""
        null = field.null
        postgres = self.postgres

        def empty():
            if null:
                return None
            raise ValueError("may not be empty (null)")

        if isinstance(field, models.DateTimeField):

            def load(value):
                if type(value) is not str:
                    return empty() if value is None else _wrong(value, "a timestamp")
                parsed = datetime.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError(f"{value!r} has no time zone")
                if postgres:
                    return parsed
                return parsed.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

            return load
        if isinstance(field, models.DateField):

            def load(value):
                if type(value) is not str or len(value) != 10:
                    return empty() if value is None else _wrong(value, "a YYYY-MM-DD date")
                parsed = datetime.date.fromisoformat(value)
                return parsed if postgres else value

            return load
        if isinstance(field, models.DecimalField):
            places = decimal.Decimal(1).scaleb(-field.decimal_places)
            limit = decimal.Decimal(10) ** (field.max_digits - field.decimal_places)

            def load(value):
                if type(value) is not str:
                    return empty() if value is None else _wrong(value, "a decimal in a string")
                number = decimal.Decimal(value).quantize(places)
                if not number.is_finite() or abs(number) >= limit:
                    raise ValueError(f"{value!r} is out of range")
                return number

            return load
        if isinstance(field, models.BooleanField):

            def load(value):
                if type(value) is not bool:
                    return empty() if value is None else _wrong(value, "true or false")
                return value

            return load
        if isinstance(field, models.IntegerField):
            low = max(
                (v.limit_value for v in field.validators if isinstance(v, MinValueValidator)),
                default=None,
            )
            high = min(
                (v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)),
                default=None,
            )

            def load(value):
                if type(value) is not int:
                    return empty() if value is None else _wrong(value, "a whole number")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(f"{value} is out of range")
                return value

            return load
        if isinstance(field, models.CharField | models.TextField):
            max_length = field.max_length or 10**9
            choices = frozenset(value for value, _ in field.flatchoices) if field.choices else None
            if choices is not None:
                choices |= {""}

            def load(value):
                if type(value) is not str:
                    return empty() if value is None else _wrong(value, "text")
                if len(value) > max_length:
                    raise ValueError(f"is longer than {max_length} characters")
                if choices is not None and value not in choices:
                    raise ValueError(f"{value!r} is not one of {', '.join(sorted(choices))}")
                return value

            return load

        def load(value):
            if value is None:
                return empty()
            return field.get_db_prep_save(field.to_python(value), connection)

        return load

    # Loading

    def check_empty(self):
        for model in ARCHIVE_MODELS:
            if model.objects.exists():
                raise LoadError(
                    "before line 2",
                    f"the database already holds {model._meta.verbose_name_plural}; "
                    "an archive is loaded into an empty one (run `manage.py flush` first)",
                )

    def start(self):
        if self.postgres:
            self.suspend_constraints()
            pause_search_triggers()
            self.writer = CopyWriter(connection)

    def abandon(self):
        """Stop the COPY thread after a refusal; the transaction is being rolled back."""
        if self.writer is not None:
            self.writer.abandon()
            self.writer = None

    def add(self, line, record):
        try:
            plan = self.plans[record["model"]]
            fields = record["fields"]
            if not plan.known.issuperset(fields):
                raise LoadError(
                    line,
                    f"{plan.label} has no field {', '.join(sorted(set(fields) - plan.known))}",
                )
        except (KeyError, TypeError, AttributeError):
            if isinstance(record, dict) and isinstance(record.get("fields"), dict):
                raise LoadError(line, f"unknown model {record.get('model')!r}") from None
            raise LoadError(
                line, 'not a record: expected {"model": ..., "fields": {...}}'
            ) from None
        if plan.defaults:
            fields = {**plan.defaults, **fields}
        model = plan.model
        if model is not STORY_MODEL and model is not POST_MODEL and self.story_key is not None:
            raise LoadError(
                line,
                f"a {plan.label} record after the stories: places, performers and sources "
                "come before the first story (docs/archive-format.md)",
            )
        pk = line  # a row's primary key is its line: unique, in file order, known to any reader
        try:
            row = plan.build(fields, pk)
        except (KeyError, ValueError, TypeError, ArithmeticError):
            row = self.explain(line, plan, fields, pk)
        if model is STORY_MODEL:
            self.story_key = (fields["slug"],)
            self.story_pk = pk
        elif model is not POST_MODEL:
            key = tuple(fields[name] for name in NATURAL_KEY_FIELDS[model])
            known = self.ids[model]
            if key in known:
                raise LoadError(line, f"a second {plan.label} with the key {list(key)}")
            known[key] = pk
        buffer = plan.buffer
        buffer.rows.append(row)
        buffer.lines.append(line)
        if len(buffer.rows) >= BATCH_SIZE:
            self.flush(buffer)
        for name, ids, target, buffer in plan.m2m_targets:
            keys = fields.get(name, ())
            if not keys:
                continue
            if type(keys) is not list:
                raise LoadError(line, f"{plan.label}.{name} must be a list of natural keys")
            rows = buffer.rows
            if not rows:
                buffer.first_line = line
            for key in keys:
                related = ids.get(tuple(key)) if type(key) is list else None
                if related is None:
                    raise LoadError(
                        line,
                        f"{plan.label}.{name} refers to {target} {key}, which the archive "
                        "does not hold before this line",
                    )
                rows.append((pk, related))
            if len(rows) >= BATCH_SIZE:
                buffer.last_line = line
                self.flush(buffer)
        plan.count += 1

    def explain(self, line, plan, fields, pk):
        """The slow path, field by field, to say which field is wrong and why."""
        row = [pk]
        for name, load in plan.loaders:
            if name not in fields:
                raise LoadError(line, f"{plan.label} lacks the field {name!r}")
            try:
                row.append(load(fields[name]))
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise LoadError(line, f"{plan.label}.{name}: {exc}") from None
        return row

    def flush(self, buffer):
        if not buffer.rows:
            return
        rows, lines = buffer.rows, buffer.lines
        if buffer.pairs:
            lines = [buffer.first_line, buffer.last_line or buffer.first_line]
        buffer.rows, buffer.lines = [], []
        if self.writer is not None:
            self.writer.send(buffer, rows, lines)
            return
        try:
            self.insert(buffer, rows)
        except DatabaseError as exc:
            raise refusal(buffer, lines, exc) from None

    def insert(self, buffer, rows):
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in buffer.columns)
        marks = ", ".join(["%s"] * len(buffer.columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(buffer.table)} ({columns}) VALUES ({marks})", rows
            )

    def add_in_parallel(self, section):
        """The stories and their posts from `section` on, read and checked by worker
        processes a chunk at a time, each turning its chunk into COPY data, which this process
        sends on in chunk order. Workers are forked with the reference tables already read,
        and a row's primary key is its line number, so they need nothing from each other.
        Returns the last line number."""
        for buffer in self.buffers:
            self.flush(buffer)
        self.writer.close()  # no thread of ours may be running while the workers fork
        global _worker_loader
        _worker_loader = self
        gc.freeze()  # the objects the workers inherit stay shared, not copied on first touch
        pool = multiprocessing.get_context("fork").Pool(section.workers)
        gc.unfreeze()
        self.writer = CopyWriter(connection)
        pending = deque()
        last_line = None
        try:
            for start, end, line, cut in section.chunks():
                if not cut:
                    while pending:
                        self.take(*pending.popleft(), section)
                    last_line = read_chunk(self, section.path, start, end, line)
                    section.bar.update(end - start)
                    break
                task = pool.apply_async(load_chunk, (section.path, start, end, line))
                pending.append((end - start, task))
                if len(pending) > 2 * section.workers:  # bounded: memory stays bounded
                    last_line = self.take(*pending.popleft(), section)
            while pending:
                last_line = self.take(*pending.popleft(), section)
        finally:
            pool.terminate()
            pool.join()
            _worker_loader = None
        return last_line

    def take(self, size, task, section):
        """Hand one chunk's COPY data to the writer; raise the worker's refusal if it had one."""
        outcome = task.get()
        if outcome[0] == "refused":
            raise LoadError(outcome[1], outcome[2])
        _, payloads, counts, last_line = outcome
        for index, payload, lines in payloads:
            self.writer.send(self.buffers[index], payload, lines)
        for name, count in counts.items():
            self.plans[name].count += count
        section.bar.update(size)
        return last_line

    def finish(self, last_line=None):
        for buffer in self.buffers:
            buffer.last_line = last_line
            self.flush(buffer)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.postgres:
            refresh_derived_data()
            self.restore_constraints()
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), ARCHIVE_MODELS):
                    cursor.execute(sql)
                # Statistics for the planner now, as after pg_restore, not whenever autovacuum
                # gets to it: without them the search index filled after the load joined every
                # story's performers by scanning the whole performer table.
                for table in sorted({buffer.table for buffer in self.buffers}):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        return Counter({plan.label: plan.count for plan in self.plans.values()})

    # PostgreSQL: constraints and indexes are rebuilt once, not maintained row by row

    def suspend_constraints(self):
        tables = sorted({buffer.table for buffer in self.buffers})
        with connection.cursor() as cursor:
            # Check anything the transaction has pending now: PostgreSQL does not alter a
            # table with deferred checks outstanding.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                FROM pg_constraint
                WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
                ORDER BY contype, conrelid::regclass::text, conname
                """,
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
                FROM pg_index
                WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)
                ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            quote = connection.ops.quote_name
            for table, name, _, _ in constraints:  # foreign keys first ('f' < 'u')
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        self.suspended = (constraints, indexes)

    def restore_constraints(self):
        constraints, indexes = self.suspended
        quote = connection.ops.quote_name
        unique = [c for c in constraints if c[3] == "u"]
        foreign = [c for c in constraints if c[3] == "f"]
        statements = [
            *(f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}" for t, n, d, _ in unique),
            *(definition for _, definition in indexes),
            *(f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}" for t, n, d, _ in foreign),
        ]
        with connection.cursor() as cursor:
            # Room to sort in memory while building indexes and checking foreign keys; for
            # this transaction only.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            for statement in statements:
                try:
                    cursor.execute(statement)
                except DatabaseError as exc:
                    message = " ".join(str(exc).split())
                    raise LoadError("after the last line", message) from None


class CopyWriter:
    """COPY on PostgreSQL in a thread of its own, so that the database takes one batch while
    Python reads and checks the next: on two cores this overlaps the two halves of the work.
    It uses the same connection, so the same transaction; the main thread does not touch the
    connection until `close()` has waited for the last batch."""

    def __init__(self, connection):
        self.raw = connection.connection  # psycopg's own connection, thread-safe
        self.quote = connection.ops.quote_name
        self.batches = queue.Queue(maxsize=4)  # bounded: memory stays bounded
        self.error = None
        self.thread = threading.Thread(target=self.run, name="archive-copy", daemon=True)
        self.thread.start()

    def send(self, buffer, rows, lines):
        if self.error is not None:
            raise self.error
        self.batches.put((buffer, rows, lines))

    def close(self):
        self.batches.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abandon(self):
        self.error = self.error or LoadError("after the last line", "abandoned")
        self.batches.put(None)  # the writer drains without copying, so there is room soon
        self.thread.join()

    def run(self):
        while (batch := self.batches.get()) is not None:
            if self.error is not None:
                continue  # drain, so that the main thread never blocks on a dead writer
            buffer, rows, lines = batch
            try:
                self.copy(buffer, rows)
            except Exception as exc:  # noqa: BLE001 - handed to the main thread
                self.error = refusal(buffer, lines, exc)

    def copy(self, buffer, rows):
        columns = ", ".join(self.quote(c) for c in buffer.columns)
        statement = f"COPY {self.quote(buffer.table)} ({columns}) FROM STDIN"
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            if type(rows) is bytes:  # COPY data a worker made (BulkLoader.add_in_parallel)
                copy.write(rows)
                return
            if buffer.pairs:
                copy.write(pairs_copy_text(rows))
                return
            write_row = copy.write_row
            for row in rows:
                write_row(row)


# Reading the stories in parallel (PostgreSQL)

_worker_loader = None  # the BulkLoader the workers inherit when they are forked


class StorySection:
    """The rest of an archive file from the first story on: where it starts, and how it is cut
    into chunks of whole stories for the workers."""

    def __init__(self, reader, workers):
        self.reader = reader  # it stops where the section starts
        self.path = reader.path
        self.bar = reader.bar
        self.size = Path(reader.path).stat().st_size
        self.workers = workers

    def chunks(self):
        """(start, end, first line number, cut) for each chunk, in file order. A chunk ends
        where a story begins, about every CHUNK_BYTES. `cut` is False for a last chunk that
        could not be cut (see MAX_CHUNK_BYTES): that one is read in order, not by a worker."""
        start, line = self.reader.offset, self.reader.line
        with open(self.path, "rb") as stream:
            stream.seek(start)
            data = b""
            while block := stream.read(CHUNK_BYTES):
                data += block
                cut = data.rfind(STORY_LINE) + 1  # just after the newline; 0 if none
                if not cut:
                    if len(data) < MAX_CHUNK_BYTES:
                        continue
                    yield start, self.size, line, False
                    return
                yield start, start + cut, line, True
                start += cut
                line += data.count(b"\n", 0, cut)
                data = data[cut:]
            if data:
                yield start, start + len(data), line, True


def read_chunk(loader, path, start, end, line):
    """Feed the records of bytes start to end of the file to `loader`, which then flushes
    every buffer; returns the last line number. A chunk starts with a story's line."""
    loader.story_key = loader.story_pk = None
    number = line - 1
    with open(path, "rb") as stream:
        stream.seek(start)
        remaining = end - start
        for number, raw in enumerate(stream, line):  # noqa: B007 - the last is returned
            loader.add(number, parse_line(number, raw))
            remaining -= len(raw)
            if remaining <= 0:
                break
    for buffer in loader.buffers:
        buffer.last_line = number
        loader.flush(buffer)
    return number


def load_chunk(path, start, end, line):
    """In a worker: one chunk as COPY data for each table, with the counts it adds."""
    loader = _worker_loader
    before = {name: plan.count for name, plan in loader.plans.items()}
    loader.writer = ChunkCollector(loader.buffers)
    try:
        last_line = read_chunk(loader, path, start, end, line)
    except LoadError as exc:
        return "refused", exc.line, exc.reason
    counts = {name: plan.count - before[name] for name, plan in loader.plans.items()}
    return "loaded", loader.writer.payloads, counts, last_line


class ChunkCollector:
    """Stands in for the CopyWriter in a worker: batches become COPY data, kept for the main
    process (which knows the buffers by their index). The rows are formatted by psycopg's
    own COPY formatter, the one `Copy.write_row` uses (its C version with psycopg-binary)."""

    def __init__(self, buffers):
        self.index = {id(buffer): i for i, buffer in enumerate(buffers)}
        self.formatter = TextFormatter(Transformer())
        self.payloads = []

    def send(self, buffer, rows, lines):
        if buffer.pairs:
            data = pairs_copy_text(rows).encode()
        else:
            write_row = self.formatter.write_row
            parts = [write_row(row) for row in rows]
            parts.append(self.formatter.end())
            data = b"".join(parts)
        self.payloads.append((self.index[id(buffer)], data, lines))


def pairs_copy_text(rows):
    """Pairs of integer keys (a many-to-many table's rows) in COPY's text format, written
    directly: ten times cheaper than formatting them as rows."""
    return "".join([f"{a}\t{b}\n" for a, b in rows])


def refusal(buffer, lines, exc):
    """The LoadError for a batch the database refused, naming the line where it can."""
    message = " ".join(str(exc).split())
    # PostgreSQL names the row of the COPY that failed: "COPY stories_story, line 3".
    if not buffer.pairs and (at := COPY_LINE.search(message)) and int(at[1]) <= len(lines):
        where = f"line {lines[int(at[1]) - 1]}"
    else:
        where = f"lines {lines[0]}-{lines[-1]}"
    return LoadError(where, f"the database refused a row for {buffer.table}: {message}")


def compile_row_builder(plan):
    """A function (fields, pk) -> row for one model, written out field by field: values that
    are already what the column takes (text of the right length, whole numbers in range,
    booleans) go straight through; everything else goes through the field's loader. It
    computes exactly what the loaders would, a few times faster than calling one per value;
    any exception sends the record down the slow path, which names the field at fault."""
    env = {"str": str, "int": int, "bool": bool}
    code = ["def build(fields, pk):"]
    names = []
    for i, ((name, load), field) in enumerate(zip(plan.loaders, plan.fields, strict=True)):
        v = f"v{i}"
        names.append(v)
        env[f"load{i}"] = load
        code.append(f"    {v} = fields[{name!r}]")
        slow = f"{v} = load{i}({v})"
        if field.is_relation:
            code.append(f"    {slow}")
        elif isinstance(field, models.CharField | models.TextField) and field.choices:
            env[f"choices{i}"] = frozenset(value for value, _ in field.flatchoices) | {""}
            code.append(f"    if type({v}) is not str or {v} not in choices{i}: {slow}")
        elif isinstance(field, models.CharField | models.TextField):
            env[f"longest{i}"] = field.max_length or 10**9
            code.append(f"    if type({v}) is not str or len({v}) > longest{i}: {slow}")
        elif isinstance(field, models.BooleanField):
            code.append(f"    if type({v}) is not bool: {slow}")
        elif isinstance(field, models.IntegerField) and not field.validators:
            code.append(f"    if type({v}) is not int: {slow}")
        else:
            code.append(f"    {slow}")
    code.append(f"    return [pk, {', '.join(names)}]")
    exec("\n".join(code), env)  # noqa: S102 - the source is built above from field metadata
    return env["build"]


def _wrong(value, expected):
    raise ValueError(f"{value!r} is not {expected}")


def _jsonable(field, value):
    if isinstance(value, datetime.datetime):
        return dump_datetime(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def elapsed(started):
    return time.monotonic() - started
