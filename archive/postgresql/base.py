"""Django's PostgreSQL backend with a client-side deadline on every wait for the server.

A server that is down refuses connections at once, and libpq's `connect_timeout` ends a
connection attempt that the server never answers. Neither helps a connection that is already
open when the server freezes (stopped by SIGSTOP, a hung host, a stalled network path that
still acknowledges packets): the server-side `statement_timeout` cannot fire in a frozen
server, TCP keepalives see a kernel that still answers, and psycopg would wait in `recv()`
forever. So every wait on the connection (query, fetch, commit, rollback) gets a deadline
here, and a connection that misses it is closed and reported as an `OperationalError`:

- the per-request health check (`conn_health_checks`, a `SELECT 1` on a reused connection)
  gets `DATABASE_CONNECT_TIMEOUT`, like a new connection; a frozen server is noticed there,
  at the first query of a request, in that time;
- any other wait gets `DATABASE_STATEMENT_TIMEOUT` plus `DATABASE_CONNECT_TIMEOUT`, so that a
  slow query is cancelled by the server first (a clean error on a healthy connection) and
  only a server that does not answer at all is cut off here.

The statement timeout, and so this second deadline, is for the web site: connections opened
once a process has begun serving requests get it, management commands (migrate,
load_archive, export_archive) do not.

psycopg routes every wait of a connection through `Connection.wait()`, whose `timeout`
argument (psycopg 3.3) raises `errors._WaitTimeout`; `DeadlineConnection` sets it.
tests/test_database_faults.py freezes a real server to keep this true across upgrades.
"""

import inspect
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started
from django.db.backends.postgresql import base
from django.dispatch import receiver

if "timeout" not in inspect.signature(psycopg.Connection.wait).parameters or not hasattr(
    psycopg.errors, "_WaitTimeout"
):
    raise ImproperlyConfigured(
        f"archive.postgresql needs psycopg 3.3 or later (timed waits), not {psycopg.__version__}."
    )


class DatabaseTimeout(psycopg.OperationalError):
    """The server did not answer in time; the connection has been closed."""


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that gives up on a server that stops answering."""

    # Seconds any one wait for the server may take; None waits for ever.
    answer_timeout = None

    def wait(self, gen, *args, timeout=None, **kwargs):
        if timeout is not None or self.answer_timeout is None:
            # psycopg's own timed waits (notifies(), cancellation) handle their timeout.
            return super().wait(gen, *args, timeout=timeout, **kwargs)
        try:
            return super().wait(gen, *args, timeout=self.answer_timeout, **kwargs)
        except psycopg.errors._WaitTimeout:
            # Half a query is on the wire: the connection cannot be used again.
            self.close()
            raise DatabaseTimeout(
                f"the database server did not answer within {self.answer_timeout:g} s"
            ) from None


class DatabaseWrapper(base.DatabaseWrapper):
    # Set once the process has begun serving requests (see `serving_requests`).
    serves_requests = False

    @property
    def statement_timeout(self):
        """Seconds, or 0: web requests only; management commands run without one, since a
        bulk load or a migration legitimately runs statements for minutes."""
        return settings.DATABASE_STATEMENT_TIMEOUT if self.serves_requests else 0

    @property
    def query_timeout(self):
        if not self.statement_timeout:
            return None
        return self.statement_timeout + settings.DATABASE_CONNECT_TIMEOUT

    def get_connection_params(self):
        params = super().get_connection_params()
        params["connect_timeout"] = settings.DATABASE_CONNECT_TIMEOUT
        if self.statement_timeout:
            # Given at connection time, so it costs no extra round trip.
            milliseconds = round(self.statement_timeout * 1000)
            given = params.get("options", "")
            params["options"] = f"-c statement_timeout={milliseconds} {given}".strip()
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # psycopg.connect() takes no connection class and Django calls it directly; the
        # subclass adds one method and no state, so giving the new object its class is safe.
        connection.__class__ = DeadlineConnection
        connection.answer_timeout = self.query_timeout
        return connection

    @contextmanager
    def _quick_answers(self):
        """Give the server only the connect timeout to answer, as for a new connection."""
        connection = self.connection
        usual = connection.answer_timeout
        connection.answer_timeout = settings.DATABASE_CONNECT_TIMEOUT
        try:
            yield
        finally:
            connection.answer_timeout = usual

    def is_usable(self):
        if self.connection is None:
            return False
        with self._quick_answers():
            return super().is_usable()

    def close_if_health_check_failed(self):
        """Check a reused connection; a server that does not answer fails the request now.

        Django's own version reconnects after a failed check, which against a frozen server
        would add a whole connect timeout to the health check's.
        """
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        self.health_check_done = True
        try:
            with self._quick_answers(), self.connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseTimeout as exc:
            self.close()
            with self.wrap_database_errors:
                raise exc
        except psycopg.Error:
            self.close()


@receiver(request_started)
def serving_requests(**kwargs):
    """From its first request on, a process opens its connections with the statement timeout."""
    DatabaseWrapper.serves_requests = True
