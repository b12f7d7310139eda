"""When PostgreSQL is down or frozen the visitor gets a 503 page at once, and the site recovers.

The first tests use the test client with a database that fails on demand. The last ones run
the real thing: a PostgreSQL cluster of their own, which they stop, start, freeze (SIGSTOP)
and thaw, and gunicorn serving the site with DEBUG off, never restarted in between. They run
on both passes of CI, whatever DATABASE_URL says.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.db import OperationalError, ProgrammingError, connection
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.utils import ConnectionHandler
from django.template import loader
from django.test import Client

from archive.errors import database_unreachable
from archive.postgresql.base import DatabaseWrapper

# --- With the test client --------------------------------------------------------------------


@pytest.fixture
def failing_database(db):
    """Every query from now on fails the way the given database error says."""
    with pytest.MonkeyPatch.context() as patch:

        def fail_with(error):
            def ensure_connection():
                raise error("connection to server at 127.0.0.1, port 5432 failed: refused")

            patch.setattr(connection, "ensure_connection", ensure_connection)
            patch.setattr(connection, "close_if_health_check_failed", lambda: None)

        # Undone before the `db` fixture rolls the test's transaction back.
        yield fail_with


@pytest.fixture
def visitor():
    """A client that gets the error page, as a visitor would, rather than the exception."""
    return Client(raise_request_exception=False)


def test_healthz_answers_200_while_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "database": "up"}


def test_healthz_is_never_cached(client, db):
    cache_control = client.get("/healthz")["Cache-Control"]
    assert "no-store" in cache_control
    assert "max-age=0" in cache_control


def test_healthz_answers_503_when_the_database_is_down(client, failing_database):
    failing_database(OperationalError)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "database": "down"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_a_probe_on_any_host_over_plain_http(client, db, settings):
    """Docker and load balancers probe the container's own address, not the public name."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200


def test_healthz_refuses_to_be_posted_to(client, db):
    assert client.post("/healthz").status_code == 405


def test_public_page_gives_the_503_page_when_the_database_is_down(visitor, failing_database):
    failing_database(OperationalError)
    response = visitor.get("/stories/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert "Briefly unavailable" in response.content.decode()


def test_other_database_errors_give_our_500_page(visitor, failing_database):
    failing_database(ProgrammingError)
    response = visitor.get("/stories/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response


def test_an_error_caused_by_a_lost_connection_counts_as_unreachable():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as exc:
            raise RuntimeError("while rendering") from exc
    except RuntimeError as exc:
        assert database_unreachable(exc)
    assert not database_unreachable(ValueError("bad value"))


class Tags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("name", ["500.html", "503.html"])
def test_error_pages_render_without_the_database_and_without_inline_code(name):
    """No `db` fixture: a query here would fail the test. No inline code, for the CSP."""
    tags = Tags(loader.render_to_string(name)).tags
    assert ("link", {"rel": "stylesheet", "href": "/static/css/site.css"}) in tags
    assert not [tag for tag, _ in tags if tag in ("script", "style")]
    assert not [name for _, attrs in tags for name in attrs if name == "style"]
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]


# --- The PostgreSQL backend's timeouts ------------------------------------------------------


def backend(url="postgres://archive@db.example:5432/archive", health_checks=False):
    """A connection to `url` through our backend, apart from the test database's."""
    config = dj_database_url.parse(url, conn_health_checks=health_checks)
    config["ENGINE"] = "archive.postgresql"
    complete = ConnectionHandler({"default": config}).settings["default"]
    # The "no database" alias keeps django.contrib.postgres from registering its types
    # through the global connection of that name.
    return DatabaseWrapper(complete, alias=NO_DB_ALIAS)


@pytest.fixture
def serving(monkeypatch):
    monkeypatch.setattr(DatabaseWrapper, "serves_requests", True)


@pytest.fixture
def not_serving(monkeypatch):
    monkeypatch.setattr(DatabaseWrapper, "serves_requests", False)


def test_web_connections_get_the_connect_and_statement_timeouts(serving):
    params = backend().get_connection_params()
    assert params["connect_timeout"] == 2
    assert params["options"] == "-c statement_timeout=10000"


def test_statement_timeout_comes_before_options_given_in_the_url(serving):
    params = backend("postgres://db.example/archive?options=-c%20lock_timeout%3D500")
    assert params.get_connection_params()["options"] == (
        "-c statement_timeout=10000 -c lock_timeout=500"
    )


def test_management_commands_get_no_statement_timeout(not_serving):
    params = backend().get_connection_params()
    assert params["connect_timeout"] == 2
    assert "statement_timeout" not in params.get("options", "")


def test_statement_timeout_of_zero_turns_it_off(serving, settings):
    settings.DATABASE_STATEMENT_TIMEOUT = 0
    assert "statement_timeout" not in backend().get_connection_params().get("options", "")


def test_a_request_gives_the_process_the_statement_timeout(client, db, not_serving):
    client.get("/healthz")
    assert DatabaseWrapper.serves_requests


# --- With a real PostgreSQL and gunicorn -----------------------------------------------------

# Each xdist worker (gw0, gw1, ...) may start its own cluster for this module: each probes
# for a free port in its own range, so two workers never pick the same one at the same time.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
FIRST_PORT = 55460 + 100 * WORKER
# Far below gunicorn's 30 s worker timeout, after which today's site gave no answer at all.
CLIENT_TIMEOUT = 10


def free_port(start):
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


def as_postgres(*command):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, *command], check=True, capture_output=True, text=True, timeout=60
    )


class Cluster:
    """A throw-away PostgreSQL this module may stop and freeze (never the shared one)."""

    def __init__(self, folder, port):
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgres://postgres@127.0.0.1:{port}/faults"

    def start(self):
        as_postgres(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o",
            f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off", "start",
        )  # fmt: skip

    def stop(self):
        as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def processes(self):
        """The postmaster and its children (backends, checkpointer, walwriter, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self):
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def cluster():
    for program in ("initdb", "pg_ctl"):
        assert shutil.which(program), f"{program} (PostgreSQL's server) is needed on PATH"
    folder = Path(tempfile.mkdtemp(prefix="archive-faults-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    cluster = Cluster(folder, free_port(FIRST_PORT))
    try:
        as_postgres(
            "initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"
        )
        cluster.start()
        as_postgres(
            "createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "faults"
        )
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.thaw()
            as_postgres("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


class Site:
    def __init__(self, port):
        self.port = port

    def get(self, path, timeout=CLIENT_TIMEOUT):
        """Status, headers and text of a GET; raises if no answer comes in `timeout` s."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory):
    """gunicorn with DEBUG off on the cluster, migrated and seeded; one worker, so the same
    persistent connection is reused from request to request."""
    # The settings as they are, but static files collected in a folder of this process's own
    # (another xdist worker may be collecting into its own at the same moment).
    folder = tmp_path_factory.mktemp("faults-site")
    (folder / "faults_settings.py").write_text(
        f"from archive.settings import *  # noqa: F403\nSTATIC_ROOT = {str(folder / 'static')!r}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="faults_settings",
        DJANGO_SECRET_KEY="faults-test-secret-key",
        DJANGO_DEBUG="0",
        DATABASE_URL=cluster.url,
        PYTHONPATH=os.pathsep.join([str(folder), str(settings.BASE_DIR)]),
        # gunicorn 25.1+ opens its control socket here, not in the ~/.gunicorn all share.
        XDG_RUNTIME_DIR=str(folder),
    )
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for command in (
        ["migrate", "--no-input"],
        ["loaddata", "seed"],
        ["collectstatic", "--no-input"],
    ):
        subprocess.run(
            [*manage, *command, "-v", "0"], env=env, cwd=settings.BASE_DIR, check=True, timeout=300
        )
    # gunicorn takes a socket already listening, so requests wait in the backlog while it boots.
    # Port 0: the kernel picks a free port, which no other process can take in the meantime.
    listener = socket.create_server(("127.0.0.1", 0))
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "archive.wsgi", "--bind", f"fd://{listener.fileno()}",
         "--workers", "1", "--timeout", "30", "--log-level", "warning"],
        env=env, cwd=settings.BASE_DIR, pass_fds=[listener.fileno()], stdout=log, stderr=log,
    )  # fmt: skip
    try:
        site = Site(listener.getsockname()[1])
        # The first answer waits for gunicorn to boot, however slow the machine is today.
        assert site.get("/healthz", timeout=300)[0] == 200, (folder / "gunicorn.log").read_text()
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)
        listener.close()
        log.close()


def assert_the_503_page(status, headers, text):
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "no-store" in headers["Cache-Control"]
    assert "Briefly unavailable" in text
    assert "/static/css/site." in text  # the site's hashed stylesheet, not inline style


def assert_healthz(site, code, state):
    status, headers, text = site.get("/healthz")
    assert (status, json.loads(text)["database"]) == (code, state)
    assert "no-store" in headers["Cache-Control"]


def test_site_answers_with_the_database_running(site):
    assert site.get("/")[0] == 200
    assert site.get("/stories/")[0] == 200
    assert_healthz(site, 200, "up")


def test_stopped_database_gives_503_and_the_site_recovers_when_it_returns(site, cluster):
    assert site.get("/")[0] == 200  # a persistent connection is open
    cluster.stop()
    try:
        assert_the_503_page(*site.get("/"))
        assert_the_503_page(*site.get("/stories/florence-nessun-dorma/"))
        assert_healthz(site, 503, "down")
    finally:
        cluster.start()
    assert site.get("/")[0] == 200
    assert site.get("/stories/florence-nessun-dorma/")[0] == 200
    assert_healthz(site, 200, "up")


def test_frozen_database_gives_503_not_a_hang_and_the_site_recovers(site, cluster):
    assert site.get("/")[0] == 200  # a persistent connection is open
    cluster.freeze()
    try:
        # The open connection's check finds the server silent...
        assert_the_503_page(*site.get("/"))
        # ...and a new connection is never answered.
        assert_the_503_page(*site.get("/stories/"))
        assert_healthz(site, 503, "down")
    finally:
        cluster.thaw()
    assert site.get("/")[0] == 200
    assert site.get("/stories/")[0] == 200
    assert_healthz(site, 200, "up")


@pytest.fixture
def own_connection(cluster, django_db_blocker):
    """A connection to the module's cluster, opened as a web request would open it."""
    with django_db_blocker.unblock():
        wrapper = backend(cluster.url)
        wrapper.ensure_connection()
        yield wrapper
        wrapper.close()


def test_a_slow_statement_is_cancelled_by_the_server_and_the_connection_stays(
    serving, settings, own_connection
):
    settings.DATABASE_STATEMENT_TIMEOUT = 1
    own_connection.close()  # reopened with the one-second timeout
    with pytest.raises(OperationalError, match="statement timeout"), own_connection.cursor() as c:
        c.execute("SELECT pg_sleep(5)")
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_server_frozen_in_the_middle_of_a_request_is_given_up(
    serving, settings, own_connection, cluster
):
    """No health check between the queries of one request: the query's own deadline ends it
    (statement timeout plus connect timeout), and the connection is closed, not reused."""
    settings.DATABASE_STATEMENT_TIMEOUT = 1
    own_connection.close()
    own_connection.ensure_connection()
    cluster.freeze()
    try:
        with (
            pytest.raises(OperationalError, match="did not answer within 3 s"),
            own_connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1")
        assert own_connection.connection.closed
    finally:
        cluster.thaw()
