"""Check constraints answered in Python, without a query, where the answer is certain.

Django checks a CheckConstraint (`full_clean()`, `constraint.validate()`) by asking the
database: one query, in a savepoint, per record and constraint. An import of a 1 MB
article checks some 4,000 records, so those queries were a quarter of its time. The
archive's conditions are simple (comparisons of a field with a constant or another field,
ranges, `in`, `isnull`, `startswith`, joined by AND, OR and NOT), and for those
`satisfies()` gives the database's own answer in Python, with SQL's three-valued logic: a
comparison with NULL is unknown, NOT unknown is unknown, and a condition that comes out
unknown passes, as a CHECK does.

Where Python could answer differently from either database, `satisfies()` says it cannot
tell (None) and the caller asks the database: a regular expression (PostgreSQL's and
Python's differ), an order between strings (collations), a `startswith` with ASCII
letters (SQLite's LIKE ignores their case), datetimes, floats, decimals with more digits
than a double holds (SQLite compares decimals as doubles), a NaN or an infinity, any
function, transform or other lookup, and any value of another type than the field's.
`tests/test_check_constraints.py` compares both answers for every CheckConstraint of every
model, on SQLite and PostgreSQL.
"""

import datetime
import decimal
import functools
import operator

from django.db import models
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP

ORDERINGS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
# SQLite compares decimals as doubles. A decimal of at most 15 significant digits (and no
# tiny or huge exponent) comes back unchanged from a double, so two of them, or one and an
# integer of at most 15 digits, are in the same order as their doubles: Python's exact
# answer is SQLite's, and PostgreSQL's (its numeric is exact).
DOUBLE_DIGITS = 15
DOUBLE_EXPONENTS = range(-300, 301)


class Unanswerable(Exception):
    """The condition holds something whose answer in Python might differ from the
    database's."""


def satisfies(constraint, instance):
    """Whether `instance` meets the CheckConstraint as the database would judge it: True
    (met, or unknown because of a NULL), False (violated), or None where this module cannot
    be sure, and the database must be asked (`constraint.validate()`)."""
    try:
        return _truth(constraint.condition, instance) is not False
    except Unanswerable:
        return None


def _truth(node, instance):
    """True, False or None (SQL's unknown) for a Q object."""
    if not isinstance(node, Q):
        raise Unanswerable(node)
    values = [
        _truth(child, instance) if isinstance(child, Q) else _lookup(child, instance)
        for child in node.children
    ]
    if node.connector == Q.AND:
        result = _and(values)  # an empty Q() matches everything
    elif node.connector == Q.OR and values:
        result = True if True in values else None if None in values else False
    else:
        raise Unanswerable(node.connector)
    if node.negated and result is not None:
        result = not result
    return result


def _and(values):
    """SQL's AND: false if any is false, else unknown if any is unknown."""
    return False if False in values else None if None in values else True


def _lookup(child, instance):
    if not isinstance(child, tuple) or len(child) != 2:
        raise Unanswerable(child)
    path, rhs = child
    name, _, lookup = path.partition(LOOKUP_SEP)
    lookup = lookup or "exact"
    if LOOKUP_SEP in lookup:
        raise Unanswerable(path)  # a transform (year, lower, ...)
    field = _field(instance, name)
    value = _value(field, getattr(instance, field.attname))
    if lookup == "isnull":
        if not isinstance(rhs, bool):
            raise Unanswerable(path)
        return (value is None) == rhs
    if lookup == "exact" and rhs is None:
        return value is None  # Django turns `= None` into IS NULL
    if lookup == "in":
        if not isinstance(rhs, (list, tuple, set, frozenset)):
            raise Unanswerable(path)
        # Django drops None from the list: NULL equals nothing.
        choices = [_operand(field, instance, item) for item in rhs if item is not None]
        if not choices:
            raise Unanswerable(path)  # Django answers an empty list without asking SQL
        if value is None:
            return None
        return any(_comparable(value, choice) == choice for choice in choices)
    if lookup == "range":
        if not isinstance(rhs, (list, tuple)) or len(rhs) != 2:
            raise Unanswerable(path)
        low, high = (_operand(field, instance, bound) for bound in rhs)
        return _and([_ordered(operator.le, low, value), _ordered(operator.le, value, high)])
    if lookup in ORDERINGS:
        return _ordered(ORDERINGS[lookup], value, _operand(field, instance, rhs))
    if lookup == "exact":
        other = _operand(field, instance, rhs)
        if value is None or other is None:
            return None
        return _comparable(value, other) == other
    if lookup == "startswith":
        prefix = _operand(field, instance, rhs)
        if not isinstance(prefix, str) or any(c.isascii() and c.isalpha() for c in prefix):
            raise Unanswerable(path)  # SQLite's LIKE ignores the case of ASCII letters
        if value is None:
            return None
        if not isinstance(value, str):
            raise Unanswerable(path)
        return value.startswith(prefix)
    raise Unanswerable(path)  # regex, contains, iexact, ...


def _ordered(compare, left, right):
    """`compare(left, right)` in three-valued logic, for dates and numbers only (an order
    between strings is the collation's)."""
    if left is None or right is None:
        return None
    if isinstance(left, str) or isinstance(right, str):
        raise Unanswerable("an order between strings")
    return compare(_comparable(left, right), right)


def _comparable(left, right):
    """`left`, after checking it is of the same kind as `right` (a date with a date, a
    number with a number, a string with a string)."""
    for kinds in ((datetime.date,), (int, decimal.Decimal), (str,)):
        if isinstance(left, kinds) and isinstance(right, kinds):
            return left
    raise Unanswerable(f"{left!r} against {right!r}")


def _field(instance, name):
    try:
        return _columns(type(instance))[name]
    except KeyError:
        raise Unanswerable(name) from None


@functools.cache
def _columns(model):
    """The model's own columns by field name, as Django checks a constraint against them (a
    parent model's are left out), less the relations."""
    return {
        field.name: field for field in model._meta.local_concrete_fields if not field.is_relation
    }


def _operand(field, instance, rhs):
    """The right-hand side of a lookup on `field`: another field's value for F(), else a
    constant, checked as _value() checks a field's."""
    if isinstance(rhs, F):
        other = _field(instance, rhs.name)
        return _value(other, getattr(instance, other.attname))
    if hasattr(rhs, "resolve_expression"):
        raise Unanswerable(rhs)
    return _value(field, rhs)


def _value(field, value):
    """`value` as the database would compare it in `field`'s column, or Unanswerable."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        raise Unanswerable("datetimes")  # time zones, and SQLite compares them as text
    if isinstance(field, models.DateField) and type(value) is datetime.date:
        return value
    if isinstance(field, models.BooleanField) and type(value) is bool:
        return value
    if isinstance(field, models.IntegerField) and type(value) is int:
        return value
    if isinstance(field, models.DecimalField) and _double_safe(value):
        return value
    text = isinstance(field, models.CharField | models.TextField) and type(value) is str
    if text and "\0" not in value:  # PostgreSQL's text holds no NUL
        return value
    raise Unanswerable(f"{value!r} in {field}")


def _double_safe(number):
    """Whether SQLite's double for `number` is in the same order as `number` itself."""
    if type(number) is int:
        return abs(number) < 10**DOUBLE_DIGITS
    if type(number) is decimal.Decimal and number.is_finite():
        digits = len(number.as_tuple().digits)
        return digits <= DOUBLE_DIGITS and number.adjusted() in DOUBLE_EXPONENTS
    return False
