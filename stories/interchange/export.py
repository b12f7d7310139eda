"""Export: the whole database as an archive file (stories.interchange.archive).

The export is deterministic: records in natural-key order (by code point, the same on every
database), many-to-many lists sorted, one spelling for each value. It streams the stories in
chunks, with their posts and links fetched per chunk, so memory stays bounded.
"""

from collections import defaultdict

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from tqdm import tqdm

from stories.interchange.archive import (
    POST_MODEL,
    POST_PARENT,
    REFERENCE_MODELS,
    STORY_MODEL,
    archived_fields,
    archived_m2m,
    header,
    label,
    value_dumper,
    write_archive,
)

STORY_CHUNK = 2000


def export_archive(path, *, progress=False):
    return write_archive(Exporter().records(progress), path)


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
