"""Loaders: for each archived field, a function from its JSON value to the value to insert.

A loader raises ValueError (or TypeError, ArithmeticError) with a reason a curator can read;
the bulk loader adds the line and the field. `value_loader(field, postgres)` picks the loader
of a field's type from `VALUE_LOADERS`; `reference_loader` and `story_reference_loader` turn
natural keys into the primary keys the load has assigned.

On PostgreSQL loaders return Python values for COPY (`stories.interchange.copy`); on SQLite
dates and timestamps stay text, in the spelling Django's SQLite backend stores.
"""

import datetime
import decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models

UTC = datetime.UTC


def other_than_expected(value, null, expected):
    """What a value that is not of the field's JSON type loads as: None, for an empty field
    that may be empty; otherwise a refusal."""
    if value is not None:
        raise ValueError(f"{value!r} is not {expected}")
    if null:
        return None
    raise ValueError("may not be empty (null)")


def datetime_loader(field, postgres):
    null = field.null

    def load(value):
        if type(value) is not str:
            return other_than_expected(value, null, "a timestamp")
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone")
        if postgres:
            return parsed
        return parsed.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    return load


def date_loader(field, postgres):
    null = field.null
    low, high = integer_range(field)  # the same validators bound dates (stories.models)

    def load(value):
        if type(value) is not str or len(value) != 10:
            return other_than_expected(value, null, "a YYYY-MM-DD date")
        parsed = datetime.date.fromisoformat(value)
        if (low is not None and parsed < low) or (high is not None and parsed > high):
            raise ValueError(f"{value} is out of range ({low} to {high})")
        return parsed if postgres else value

    return load


def decimal_loader(field, postgres):
    null = field.null
    places = decimal.Decimal(1).scaleb(-field.decimal_places)
    limit = decimal.Decimal(10) ** (field.max_digits - field.decimal_places)

    def load(value):
        if type(value) is not str:
            return other_than_expected(value, null, "a decimal in a string")
        number = decimal.Decimal(value).quantize(places)
        if not number.is_finite() or abs(number) >= limit:
            raise ValueError(f"{value!r} is out of range")
        return number

    return load


def boolean_loader(field, postgres):
    null = field.null

    def load(value):
        if type(value) is not bool:
            return other_than_expected(value, null, "true or false")
        return value

    return load


def integer_loader(field, postgres):
    null = field.null
    low, high = integer_range(field)

    def load(value):
        if type(value) is not int:
            return other_than_expected(value, null, "a whole number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{value} is out of range")
        return value

    return load


def integer_range(field):
    """(lowest, highest) the field's validators allow; None where they set no limit."""
    limits = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    low = max(limits, default=None)
    limits = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    high = min(limits, default=None)
    return low, high


def text_loader(field, postgres):
    null = field.null
    max_length = longest(field)
    choices = text_choices(field)

    def load(value):
        if type(value) is not str:
            return other_than_expected(value, null, "text")
        if len(value) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        if choices is not None and value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(choices))}")
        return value

    return load


def longest(field):
    return field.max_length or 10**9


def text_choices(field):
    """The values a text field with choices accepts (and the empty text), or None."""
    if not field.choices:
        return None
    return frozenset(value for value, _ in field.flatchoices) | {""}


def field_loader(field, postgres):
    """Any other kind of field, through the field's own conversion: slower, and rare."""
    null = field.null

    def load(value):
        if value is None:
            return other_than_expected(value, null, "empty")
        return field.get_db_prep_save(field.to_python(value), connection)

    return load


# The first entry whose kind of field the field is gives its loader (DateTimeField is a
# DateField, so it comes first).
VALUE_LOADERS = [
    (models.DateTimeField, datetime_loader),
    (models.DateField, date_loader),
    (models.DecimalField, decimal_loader),
    (models.BooleanField, boolean_loader),
    (models.IntegerField, integer_loader),
    (models.CharField | models.TextField | models.FileField, text_loader),
]


def value_loader(field, postgres):
    """A function from a JSON value to the value to insert; raises ValueError."""
    for kind, loader in VALUE_LOADERS:
        if isinstance(field, kind):
            return loader(field, postgres)
    return field_loader(field, postgres)


def reference_loader(field, ids, target):
    """A foreign key: from a natural key to the primary key `ids` maps it to."""
    null = field.null

    def load(key):
        if key is None:
            return other_than_expected(key, null, "a natural key")
        pk = ids.get(tuple(key)) if type(key) is list else None
        if pk is None:
            raise ValueError(
                f"refers to {target} {key}, which the archive does not hold before this line"
            )
        return pk

    return load


def story_reference_loader(current):
    """A post's story: it must be the story just before it, `current.story_key`."""

    def load(key):
        if key is None or tuple(key) != current.story_key:
            before = current.story_key[0] if current.story_key else "none"
            raise ValueError(
                f"belongs to story {key}, but the story just before it is "
                f"{before!r}: a story's posts follow it directly"
            )
        return current.story_pk

    return load


def post_reference_loader(field, current):
    """A post, as its natural key [story slug, position]: one of the posts of the story just
    before it (`current.story_posts`), which the archive keeps before what refers to them."""
    null = field.null

    def load(key):
        if key is None:
            return other_than_expected(key, null, "a post's key [story slug, position]")
        if type(key) is not list or len(key) != 2 or type(key[1]) is not int:
            raise ValueError(f"{key!r} is not a post's key [story slug, position]")
        before = current.story_key[0] if current.story_key else "none"
        if key[0] != before:
            raise ValueError(
                f"refers to a post of story {key[0]!r}, but the story just before it is "
                f"{before!r}: what the archive keeps of a story's posts follows them"
            )
        pk = current.story_posts.get(key[1])
        if pk is None:
            raise ValueError(f"refers to the post {key}, which the story does not have")
        return pk

    return load
