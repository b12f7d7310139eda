"""Export: the whole database as an archive file (stories.interchange.archive).

The export is deterministic: records in natural-key order (by code point, the same on every
database), many-to-many lists sorted, one spelling for each value. It streams the stories in
chunks, with their posts, links and preservation records fetched per chunk, so memory stays
bounded. The archived copies' files go to a folder beside the file (`files`).
"""

from collections import defaultdict

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from tqdm import tqdm

from stories.interchange.archive import (
    CHECK_MODEL,
    COPY_MODEL,
    POST_MODEL,
    POST_PARENT,
    REFERENCE_MODELS,
    REQUEST_MODEL,
    STORY_MODEL,
    archived_fields,
    archived_m2m,
    header,
    label,
    value_dumper,
    write_archive,
)
from stories.interchange.files import FilesWriter, replace_output

STORY_CHUNK = 2000


def export_archive(path, *, progress=False):
    """Write the archive to `path` and its copies' files beside it; nothing at `path` is
    replaced until both are complete (ExportError otherwise)."""
    with replace_output(path) as (partial, files):
        exporter = Exporter(files)
        return write_archive(exporter.records(progress), partial)


class Exporter:
    def __init__(self, files=None):
        # Natural keys of the reference models, by primary key: {model: {pk: ["IT"]}}.
        self.keys = {}
        # The current chunk's stories' and posts' natural keys, by primary key.
        self.keys[STORY_MODEL] = {}
        self.keys[POST_MODEL] = {}
        self.files = files if files is not None else FilesWriter(None)

    def records(self, progress=False):
        yield header()
        for model in REFERENCE_MODELS:
            yield from self.reference_records(model)
        yield from self.source_check_records()
        yield from self.story_records(progress)

    def columns(self, model):
        """(field, attname, dumper) for each archived field; foreign keys dump natural keys
        (a story's and a post's from the current chunk's)."""
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
            rows = through.objects.filter(owned_by(owner, pks[start : start + STORY_CHUNK]))
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
                kept = self.preservation_by_story(chunk, slug_at)
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
                    for model, by_story in kept:
                        for fields in by_story.get(row[0], ()):
                            if model is COPY_MODEL:
                                self.files.add(fields)
                            yield {"model": label(model), "fields": fields}
                bar.update(len(chunk))

    # What the archive keeps of what it cites

    def source_check_records(self):
        """The source articles' link checks, by source (its natural key), oldest first."""
        self.keys[POST_MODEL] = {}
        columns = self.columns(CHECK_MODEL)
        checks = (
            CHECK_MODEL.objects.filter(source__isnull=False)
            .order_by(canonical("source__slug"), "checked_at", "pk")
            .values_list(*[attname for _, attname, _ in columns])
        )
        for values in checks.iterator(chunk_size=STORY_CHUNK):
            yield {"model": label(CHECK_MODEL), "fields": dumped(columns, values)}

    def preservation_by_story(self, chunk, slug_at):
        """[(model, {story pk: [fields, ...]}), ...] for the chunk's stories: their posts'
        copies (by post, oldest capture first), their posts' link checks (by post, oldest
        first) and the correction requests about them (oldest first)."""
        if not self.has_preservation():
            return []
        story_keys = {row[0]: [row[1 + slug_at]] for row in chunk}
        pks = list(story_keys)
        self.keys[STORY_MODEL] = story_keys
        self.keys[POST_MODEL] = {
            pk: [story_keys[story_pk][0], position]
            for pk, story_pk, position in POST_MODEL.objects.filter(
                owned_by("story_id", pks)
            ).values_list("pk", "story_id", "position")
        }
        kept = []
        for model, story, order in (
            (COPY_MODEL, "post__story_id", ["post__position", "captured_at", "pk"]),
            (CHECK_MODEL, "post__story_id", ["post__position", "checked_at", "pk"]),
            (REQUEST_MODEL, "story_id", ["received_at", "pk"]),
        ):
            columns = self.columns(model)
            rows = (
                model.objects.filter(**{f"{story}__in": pks})
                .order_by(*order)
                .values_list(story, *[attname for _, attname, _ in columns])
            )
            by_story = defaultdict(list)
            for story_pk, *values in rows:
                by_story[story_pk].append(dumped(columns, values))
            kept.append((model, by_story))
        return kept

    def has_preservation(self):
        if not hasattr(self, "_has_preservation"):
            self._has_preservation = any(
                model.objects.filter(post__isnull=False).exists()
                if model is CHECK_MODEL
                else model.objects.exists()
                for model in (COPY_MODEL, CHECK_MODEL, REQUEST_MODEL)
            )
        return self._has_preservation

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
            POST_MODEL.objects.filter(owned_by(parent, story_pks))
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


def dumped(columns, values):
    return {
        name: dump(value) if dump else value
        for (name, _, dump), value in zip(columns, values, strict=True)
    }


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def owned_by(column, pks):
    """WHERE column IN (pks): on PostgreSQL as one array parameter, which saves preparing
    thousands of parameters a chunk."""
    if connection.vendor == "postgresql":
        quoted = connection.ops.quote_name(column)
        return RawSQL(f"{quoted} = ANY(%s)", (pks,), output_field=models.BooleanField())
    return Q(**{f"{column}__in": pks})


def canonical(field_name):
    """Order by code point (byte order of UTF-8), the same on every database and in Python."""
    if connection.vendor == "postgresql":
        return Collate(field_name, "C")
    return field_name  # SQLite's default BINARY collation is already byte order.
