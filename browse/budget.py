"""A time budget for optional database work: facet counts the page can do without.

A page's stories and their number are always computed (the request's statement timeout
bounds them, `DATABASE_STATEMENT_TIMEOUT`); facet counts over a very broad selection may take
longer than a visitor should wait, so they run under `time_limit(seconds)`: past the deadline
the database abandons the query and the block raises `OutOfTime`, and the page says which
counts it left out.

- PostgreSQL: `SET LOCAL statement_timeout` inside a savepoint, then back to the connection's
  own value (a released savepoint would otherwise keep it until the transaction ends).
- SQLite: a progress handler that interrupts the statement once the deadline has passed. It
  is removed before the savepoint ends, so that the deadline can never interrupt the
  ROLLBACK or RELEASE itself.
"""

import sqlite3
import time
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

SET_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"  # SET LOCAL
SQLITE_STEPS = 10_000  # virtual machine instructions between two looks at the clock


class OutOfTime(Exception):
    """The work did not finish within its budget."""


class Deadline:
    def __init__(self, seconds):
        self.ends = time.monotonic() + seconds

    @property
    def left(self):
        return self.ends - time.monotonic()


@contextmanager
def time_limit(deadline):
    """Run the block's queries until `deadline` (a Deadline); raise OutOfTime after it.

    Each statement gets the time left when the block starts (PostgreSQL), or is stopped at
    the deadline (SQLite); a block that runs several statements checks `deadline.left`
    between them."""
    left = deadline.left
    if left <= 0.001:
        raise OutOfTime
    if connection.vendor == "postgresql":
        with _postgresql_limit(left):
            yield
    elif connection.vendor == "sqlite":
        with _sqlite_limit(deadline):
            yield
    else:  # pragma: no cover - the archive runs on PostgreSQL and SQLite only
        yield


@contextmanager
def _postgresql_limit(seconds):
    from psycopg.errors import QueryCanceled

    # Inside an outer transaction (tests, ATOMIC_REQUESTS) the block is a savepoint, whose
    # release would keep the SET LOCAL until the transaction ends: put the usual value back.
    # Otherwise the block is a transaction of its own, and the setting ends with it.
    usual = None
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            usual = cursor.fetchone()[0]
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(SET_TIMEOUT, [f"{max(1, round(seconds * 1000))}ms"])
            yield
    except DatabaseError as exc:
        if isinstance(exc.__cause__, QueryCanceled):
            raise OutOfTime from None
        raise
    finally:
        if usual is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(SET_TIMEOUT, [usual])


@contextmanager
def _sqlite_limit(deadline):
    connection.ensure_connection()
    raw = connection.connection
    timed_out = False

    def past_deadline():
        nonlocal timed_out
        if time.monotonic() > deadline.ends:
            timed_out = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0

    try:
        with transaction.atomic():
            raw.set_progress_handler(past_deadline, SQLITE_STEPS)
            try:
                yield
            finally:
                raw.set_progress_handler(None, 0)
    except (DatabaseError, sqlite3.DatabaseError):
        # (sqlite3's own error: when queries are logged, as with DEBUG on, the interruption
        # can come while Django quotes the parameters for the log, outside its wrapper.)
        if timed_out:
            raise OutOfTime from None
        raise
