"""The check constraints the importer answers in Python (stories.interchange.constraints)
give the database's own answer: for every CheckConstraint of every model, on values that
include NULLs, the bounds and either side of them, on the database the tests run on (CI runs
them on SQLite and on PostgreSQL)."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import CheckConstraint
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stories.interchange.constraints import satisfies
from stories.interchange.ingest import Importer
from stories.models import FIRST_DAY, LAST_DAY, City, Country, LinkedPost, Story

pytestmark = pytest.mark.django_db

# The stories app's models: what the importer and the bulk load write. (Copies and link
# checks, preservation/, are written only through the ORM and commands so far; their
# constraints join this test when the archive format carries them.)
CHECKS = [
    (model, constraint)
    for model in apps.get_app_config("stories").get_models()
    for constraint in model._meta.constraints
    if isinstance(constraint, CheckConstraint)
]
DAY = datetime.timedelta(days=1)
DATES = [
    datetime.date.min,
    FIRST_DAY - DAY,
    FIRST_DAY,
    FIRST_DAY + DAY,
    datetime.date(2020, 3, 16),
    LAST_DAY - DAY,
    LAST_DAY,
    LAST_DAY + DAY,
    datetime.date.max,
]
NUMBERS = [
    Decimal(text)
    for text in [
        *("-180.00001", "-180", "-179.99999", "-90.00001", "-90", "-89.99999", "-0", "0"),
        *("0.00001", "1E+2", "89.99999", "90", "90.00001", "179.99999", "180", "180.00001"),
    ]
]
TEXTS = [
    *("", "@", "@x", "x@", " @", "@@", "＠x", "draft", "review", "published", "withdrawn"),
    *("Draft", "draft ", "AB", "ab", "A", "ABC", "IT", "AB\n", "\nAB", "ÀB", "A1"),
]
# Text PostgreSQL can hold: no NUL, no lone surrogate.
CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\0")


def values(field):
    """NULL, the values at and around the archive's bounds, and anything else of the
    field's type (with some the Python side cannot answer, to check it says so)."""
    if isinstance(field, models.DateTimeField):
        kind = st.datetimes(timezones=st.just(datetime.UTC))
    elif isinstance(field, models.DateField):
        kind = st.sampled_from(DATES) | st.dates()
    elif isinstance(field, models.DecimalField):
        kind = (
            st.sampled_from(NUMBERS)
            | st.decimals(places=field.decimal_places, allow_nan=False, allow_infinity=False)
            | st.decimals(min_value=-1000, max_value=1000, places=12)
            | st.integers(min_value=-1000, max_value=1000)
        )
    elif isinstance(field, models.BooleanField):
        kind = st.booleans()
    elif isinstance(field, models.IntegerField):
        kind = st.integers(min_value=-(2**31), max_value=2**31 - 1)
    elif isinstance(field, models.CharField | models.TextField):
        kind = st.sampled_from(TEXTS) | st.text(CHARACTERS, max_size=8)
    else:
        raise AssertionError(f"add values for {field!r} to this test")
    return st.none() | kind


def instances(model, constraint):
    fields = [model._meta.get_field(name) for name in constraint.condition.referenced_base_fields]

    def build(row):
        instance = model()
        for field, value in zip(fields, row, strict=True):
            setattr(instance, field.attname, value)
        return instance

    return st.tuples(*(values(field) for field in fields)).map(build)


def database_says(constraint, instance):
    try:
        constraint.validate(type(instance), instance)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("model", "constraint"), CHECKS, ids=[constraint.name for _, constraint in CHECKS]
)
@settings(
    max_examples=150,
    deadline=None,
    # The database is only read: each example may share the test's transaction.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_python_gives_the_databases_answer_or_none(model, constraint, data):
    instance = data.draw(instances(model, constraint))
    answer = satisfies(constraint, instance)
    if answer is not None:
        assert answer == database_says(constraint, instance)


@pytest.mark.parametrize(
    ("instance", "answer"),
    [
        (Story(start_date=FIRST_DAY, end_date=LAST_DAY, status="draft"), True),
        (Story(start_date=None, end_date=None, status="draft"), True),
        (Story(start_date=FIRST_DAY - DAY, end_date=FIRST_DAY, status="draft"), False),
        (Story(start_date=LAST_DAY, end_date=FIRST_DAY, status="draft"), False),
        (Story(start_date=FIRST_DAY, end_date=None, status="draft"), False),
        (Story(status="published", published_at=None), False),
        (LinkedPost(handle="MuhammadLila", posted_on=datetime.date(2020, 3, 13)), True),
        (LinkedPost(handle="@MuhammadLila", posted_on=None), False),
        (LinkedPost(handle="", posted_on=LAST_DAY + DAY), False),
        (City(latitude=Decimal("43.77925"), longitude=Decimal("11.24626")), True),
        (City(latitude=None, longitude=None), True),
        (City(latitude=Decimal("90.00001"), longitude=Decimal("0")), False),
        # What the database answers too: the second half of the condition is unknown, not
        # false, with a NULL in it, and a CHECK lets unknown through.
        (City(latitude=Decimal("45"), longitude=None), True),
    ],
    ids=repr,
)
def test_the_importers_records_are_checked_without_a_query(instance, answer):
    importer = Importer()
    with CaptureQueriesContext(connection) as queries:
        if answer:
            importer.validate_constraints(instance)
        else:
            with pytest.raises(ValidationError):
                importer.validate_constraints(instance)
    assert queries.captured_queries == []


def test_a_condition_python_cannot_answer_is_asked_of_the_database():
    """A regular expression: PostgreSQL's and Python's are not the same language."""
    (constraint,) = [c for c in Country._meta.constraints if isinstance(c, CheckConstraint)]
    assert satisfies(constraint, Country(code="IT")) is None
    with CaptureQueriesContext(connection) as queries:
        Importer().validate_constraints(Country(code="IT"))
        with pytest.raises(ValidationError, match="two capital letters"):
            Importer().validate_constraints(Country(code="it"))
    checks = [query for query in queries.captured_queries if "_check" in query["sql"]]
    assert len(checks) == 2
