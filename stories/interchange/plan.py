"""How records of one model become rows: a Plan holds the loaders by field, the buffers its
rows wait in, and the many-to-many tables its records fill."""

from django.db import models

from stories.interchange.archive import (
    POST_MODEL,
    STORY_MODEL,
    LoadError,
    archived_fields,
    archived_m2m,
    default_value,
    label,
)
from stories.interchange.loaders import (
    post_reference_loader,
    reference_loader,
    story_reference_loader,
    text_choices,
    value_loader,
)


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
    """How records of one model become rows. `ids` holds the primary keys of every archive
    model's rows by natural key, as the load assigns them; `current` is what knows the story
    being loaded (its `story_key` and `story_pk`), for the posts that follow it."""

    def __init__(self, model, *, ids, current, postgres):
        self.model = model
        self.label = label(model)
        self.fields = archived_fields(model)
        self.m2m = archived_m2m(model)
        self.known = frozenset(f.name for f in self.fields + self.m2m)
        self.defaults = {}
        self.count = 0
        self.loaders = [(f.name, field_loader(f, ids, current, postgres)) for f in self.fields]
        self.steps = [
            (name, *fast_check(field), load)
            for (name, load), field in zip(self.loaders, self.fields, strict=True)
        ]
        self.buffer = Buffer(model._meta.db_table, ["id", *(f.column for f in self.fields)])
        self.m2m_targets = [
            (field.name, ids[field.related_model], label(field.related_model), m2m_buffer(field))
            for field in self.m2m
        ]

    def buffers(self):
        return [self.buffer, *(buffer for *_, buffer in self.m2m_targets)]

    def build(self, fields, pk):
        """The row for a record's fields. Values that are already what the column takes (text
        of the right length, one of the choices, booleans, whole numbers with no limits) go
        straight through; every other goes through its field's loader. Any exception sends
        the record down the slow path (`BulkLoader.explain`), which names the field at fault."""
        row = [pk]
        append = row.append
        for name, kind, max_length, choices, load in self.steps:
            value = fields[name]
            if (
                type(value) is not kind
                or (max_length is not None and len(value) > max_length)
                or (choices is not None and value not in choices)
            ):
                value = load(value)
            append(value)
        return row

    def take_defaults(self, archived):
        """Defaults for the fields the archive's header does not list (`archived`): a field
        added since the archive was written takes its default."""
        for name in self.known - set(archived):
            self.defaults[name] = default(self.model, name)


def field_loader(field, ids, current, postgres):
    if field.related_model is STORY_MODEL:
        return story_reference_loader(current)
    if field.related_model is POST_MODEL:
        return post_reference_loader(field, current)
    if field.is_relation:
        return reference_loader(field, ids[field.related_model], label(field.related_model))
    return value_loader(field, postgres)


def fast_check(field):
    """(kind, longest, choices): a value of exactly that type, no longer than `longest` and
    among `choices` (where they are not None) is inserted as it is. A kind of None sends
    every value through the loader."""
    if field.is_relation:
        return None, None, None
    if isinstance(field, models.CharField | models.TextField | models.FileField):
        choices = text_choices(field)
        return str, (field.max_length if choices is None else None), choices
    if isinstance(field, models.BooleanField):
        return bool, None, None
    if isinstance(field, models.IntegerField) and not field.validators:
        return int, None, None
    return None, None, None


def m2m_buffer(field):
    through = field.remote_field.through
    columns = [
        through._meta.get_field(field.m2m_field_name()).column,
        through._meta.get_field(field.m2m_reverse_field_name()).column,
    ]
    return Buffer(through._meta.db_table, columns, pairs=True)


def default(model, name):
    """The JSON value a record lacking the field `name` takes."""
    try:
        return default_value(model._meta.get_field(name))
    except LookupError:
        raise LoadError(
            1, f"the archive lacks {label(model)}.{name}, which has no default"
        ) from None
