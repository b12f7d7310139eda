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
LoadRecord instead. PostgreSQL's search vectors are not computed in the load's transaction:
they are left empty, and the commands fill them in after the commit, in batches
(`stories.search.index_missing_vectors()`), while the site already serves the archive. On
SQLite the full-text index's triggers are dropped for the load and the index rebuilt at its
end, in its transaction.

The rest of the loader, by concern: `plan` (how records of a model become rows), `loaders`
(a field's JSON value to the value inserted), `copy` (COPY's text format and the writer
thread), `parallel` (on PostgreSQL with more than one core, the stories are read by worker
processes: reading and checking the JSON is what limits a load there).
"""

import os
from collections import Counter
from pathlib import Path

from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from stories import facts, revision
from stories.interchange.archive import (
    ARCHIVE_MODELS,
    COPY_MODEL,
    POST_MODEL,
    REFERENCE_MODELS,
    STORY_MODEL,
    ArchiveReader,
    LoadError,
    label,
)
from stories.interchange.copy import CopyWriter, refusal
from stories.interchange.duplicates import INDEX, duplicate_in_batch, rebuild
from stories.interchange.files import files_folder, install_files
from stories.interchange.parallel import StorySection, add_in_parallel
from stories.interchange.plan import Plan
from stories.models import City, Country, LoadRecord, Performer, Region, SourceArticle
from stories.search import pause_search_triggers, resume_search_triggers

BATCH_SIZE = 10_000
# On PostgreSQL the stories are read by this many worker processes (one per core, and at
# least two to be worth it): reading and checking the JSON is what limits a load.
LOAD_WORKERS = min(os.cpu_count() or 1, 4)

# How each reference model's natural key is spelled in its record's fields.
NATURAL_KEY_FIELDS = {
    Country: ["code"],
    Region: ["slug"],
    City: ["slug"],
    Performer: ["slug"],
    SourceArticle: ["slug"],
}


def load_archive(path, *, progress=False):
    """Load the archive file `path` and the copies' files in the folder beside it (files),
    all or nothing."""
    reader = ArchiveReader(path, progress=progress)
    try:
        parallel = connection.vendor == "postgresql" and LOAD_WORKERS > 1
        until = {label(STORY_MODEL), label(POST_MODEL)} if parallel else ()
        with transaction.atomic():
            counts = bulk_load(
                reader.records(until=until),
                command="load_archive",
                source=str(Path(path).resolve()),
                header_models=reader.models,
                stories=StorySection(reader, LOAD_WORKERS) if parallel else None,
            )
            if counts[label(COPY_MODEL)]:
                install_files(files_folder(path))
        return counts
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
                line = add_in_parallel(loader, stories) or line
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


class BulkLoader:
    def __init__(self, header_models=None):
        self.postgres = connection.vendor == "postgresql"
        self.ids = {model: {} for model in ARCHIVE_MODELS}  # natural key tuple -> pk
        self.story_key = None
        self.story_pk = None
        self.story_posts = {}  # the current story's posts: position -> pk
        self.listed = None  # the models the archive's header lists (None: all)
        self.suspended = ([], [])
        self.writer = None
        self.plans = {
            label(model): Plan(model, ids=self.ids, current=self, postgres=self.postgres)
            for model in ARCHIVE_MODELS
        }
        self.buffers = [buffer for plan in self.plans.values() for buffer in plan.buffers()]
        if header_models is not None:
            self.check_header_models(header_models)

    def check_header_models(self, header_models):
        self.listed = frozenset(header_models)
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
            if plan.label in header_models:  # (an older version's file lacks some models)
                plan.take_defaults(header_models[plan.label])

    # Loading

    def check_empty(self):
        for model in ARCHIVE_MODELS:
            if model.objects.exists():
                raise LoadError(
                    "before line 2",
                    f"the database already holds {model._meta.verbose_name_plural}; "
                    "an archive is loaded into an empty one (run `manage.py flush` first; "
                    "to have the seed too, run `manage.py load_seed --alongside` after)",
                )

    def start(self):
        if self.postgres:
            self.suspend_constraints()
            pause_search_triggers()
            facts.pause_triggers()
            revision.pause_revision_triggers(connection)
            self.writer = CopyWriter(connection)
        else:
            pause_search_triggers()  # the full-text index's; finish() rebuilds the index

    def abandon(self):
        """Stop the COPY thread after a refusal; the transaction is being rolled back."""
        if self.writer is not None:
            self.writer.abandon()
            self.writer = None

    def add(self, line, record):
        plan = self.plan_for(line, record)
        fields = record["fields"]
        if plan.defaults:
            fields = {**plan.defaults, **fields}
        pk = line  # a row's primary key is its line: unique, in file order, known to any reader
        try:
            row = plan.build(fields, pk)
        except (KeyError, ValueError, TypeError, ArithmeticError):
            row = self.explain(line, plan, fields, pk)
        self.remember(line, plan, fields, pk)
        buffer = plan.buffer
        buffer.rows.append(row)
        buffer.lines.append(line)
        if len(buffer.rows) >= BATCH_SIZE:
            self.flush(buffer)
        if plan.m2m_targets:
            self.add_m2m(line, plan, fields, pk)
        plan.count += 1

    def plan_for(self, line, record):
        """The plan for the record's model, once the record is known to fit it."""
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
        if self.listed is not None and plan.label not in self.listed:
            raise LoadError(line, f"a {plan.label} record, a model the header does not list")
        if self.story_key is not None and plan.model in REFERENCE_MODELS:
            raise LoadError(
                line,
                f"a {plan.label} record after the stories: places, performers and sources "
                "come before the first story (docs/archive-format.md)",
            )
        return plan

    def remember(self, line, plan, fields, pk):
        """Keep the story's key for its posts, or a reference row's for what refers to it."""
        model = plan.model
        if model is STORY_MODEL:
            self.story_key = (fields["slug"],)
            self.story_pk = pk
            self.story_posts = {}
        elif model is POST_MODEL:
            self.story_posts[fields["position"]] = pk
        elif model in NATURAL_KEY_FIELDS:
            key = tuple(fields[name] for name in NATURAL_KEY_FIELDS[model])
            known = self.ids[model]
            if key in known:
                raise LoadError(
                    line,
                    f"a second {plan.label} with the key {list(key)}: the first is on line "
                    f"{known[key]}; keys are unique",
                )
            known[key] = pk

    def add_m2m(self, line, plan, fields, pk):
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
        buffer_lines = lines
        if buffer.pairs:
            lines = [buffer.first_line, buffer.last_line or buffer.first_line]
        buffer.rows, buffer.lines = [], []
        if self.writer is not None:
            self.writer.send(buffer, rows, lines)
            return
        savepoint = transaction.savepoint()
        try:
            self.insert(buffer, rows)
        except DatabaseError as exc:
            transaction.savepoint_rollback(savepoint)
            duplicate = duplicate_in_batch(buffer, rows, buffer_lines, self.insert)
            raise (duplicate or refusal(buffer, lines, exc)) from None
        transaction.savepoint_commit(savepoint)

    def insert(self, buffer, rows):
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in buffer.columns)
        marks = ", ".join(["%s"] * len(buffer.columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(buffer.table)} ({columns}) VALUES ({marks})", rows
            )

    def finish(self, last_line):
        for buffer in self.buffers:
            buffer.last_line = last_line
            self.flush(buffer)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.postgres:
            # What the database derives from the loaded rows: the search triggers that
            # `start()` paused are switched back on; the vectors of the loaded stories stay
            # empty until `index_missing_vectors()` fills them after the commit (computing
            # them here took longer than the rest of a million-story load).
            resume_search_triggers()
            self.restore_constraints()
            facts.rebuild()
            facts.resume_triggers()
            revision.resume_revision_triggers(connection)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), ARCHIVE_MODELS):
                    cursor.execute(sql)
                # Statistics for the planner now, as after pg_restore, not whenever autovacuum
                # gets to it: without them the search index filled after the load joined every
                # story's performers by scanning the whole performer table.
                for table in sorted({buffer.table for buffer in self.buffers}):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        else:
            # The search triggers `start()` dropped come back, and the full-text index is
            # built in one statement: quicker than rewriting a story's row at each of its
            # links and posts. The facet triggers noted every published story; counting
            # them all at once is quicker than one by one.
            resume_search_triggers()
            facts.rebuild()
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
            *((t, f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}") for t, n, d, _ in unique),
            *((index_table(definition), definition) for _, definition in indexes),
            *((t, f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}") for t, n, d, _ in foreign),
        ]
        with connection.cursor() as cursor:
            # Room to sort in memory while building indexes and checking foreign keys; for
            # this transaction only.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            for table, statement in statements:
                try:
                    # A unique key the rows break is named with both its lines.
                    rebuild(cursor, table, statement)
                except DatabaseError as exc:
                    message = " ".join(str(exc).split())
                    raise LoadError("after the last line", message) from None


def index_table(definition):
    """The table a CREATE INDEX statement is on."""
    match = INDEX.search(definition)
    return match["table"] if match else ""
