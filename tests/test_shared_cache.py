"""Two gunicorns share one Redis (CACHE_URL): what one computes the other reuses, a withdrawn
story leaves both at once, and a Redis that is stopped or frozen costs the cache, not the page.

The module starts its own redis-server and its own database (a SQLite file, or a PostgreSQL
database named after the pytest-xdist worker when the suite runs on PostgreSQL), migrated and
seeded, and serves it with gunicorn, DEBUG off. Ports are the worker's own: Redis's from
FIRST_REDIS_PORT plus 10 per worker, gunicorn's chosen by the kernel.
"""

import http.client
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection

from archive import cache as shared

FIRST_REDIS_PORT = 6391
# Far longer than a page of the seed takes, far shorter than a request held by a silent Redis
# (without socket timeouts redis-py waits for ever).
CLIENT_TIMEOUT = 10
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw")
WORKER_INDEX = int(WORKER.removeprefix("gw") or -1) + 1
WARNING = "Redis cache unreachable"


def free_port(start):
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


class Redis:
    """A throw-away redis-server this module may stop, start, freeze and thaw."""

    def __init__(self, folder):
        assert shutil.which("redis-server"), "Debian's redis-server is needed on PATH"
        self.folder = folder
        self.port = free_port(FIRST_REDIS_PORT + 10 * WORKER_INDEX)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        for line in self.process.stdout:  # waits for the server, however slow the machine
            if "Ready to accept connections" in line:
                break
        else:
            raise RuntimeError("redis-server did not start")
        self.process.stdout.close()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def keys(self):
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), "--scan"], capture_output=True, text=True
        )
        return out.stdout.split()


class Database:
    """The sites' own database, apart from the test database: SQLite, or PostgreSQL when the
    suite runs there."""

    def __init__(self, folder):
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            config = settings.DATABASES["default"]
            self.name = f"shared_cache_{WORKER}"
            self.server = (
                f"postgres://{config['USER']}:{config['PASSWORD'] or ''}@"
                f"{config['HOST']}:{config['PORT'] or 5432}"
            )
            self.url = f"{self.server}/{self.name}"
            self._admin(f"DROP DATABASE IF EXISTS {self.name}", f"CREATE DATABASE {self.name}")
        else:
            self.path = folder / "archive.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    def execute(self, statement, params=()):
        """One statement through the driver, in its own transaction; the revision triggers
        run as they do for any change."""
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as db:
                db.execute(statement.replace("?", "%s"), params)
        else:
            with sqlite3.connect(self.path) as db:
                db.execute(statement, params)

    def drop(self):
        if self.postgres:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Site:
    """gunicorn, one sync worker, DEBUG off, on the module's database and Redis."""

    def __init__(self, folder, name, env):
        self.log_path = folder / f"{name}.log"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "archive.wsgi",
             "--bind", f"fd://{self.listener.fileno()}", "--workers", "1", "--timeout", "30",
             "--log-level", "warning"],
            env=env, cwd=settings.BASE_DIR, pass_fds=[self.listener.fileno()],
            stdout=self._log, stderr=self._log,
        )  # fmt: skip
        # The first answer waits for gunicorn to boot (requests wait in the listen backlog).
        status = self.get("/healthz", timeout=300)[0]
        assert status == 200, self.log()

    def get(self, path, timeout=CLIENT_TIMEOUT):
        """Status and text of a GET; raises if no answer comes within `timeout` s."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.listener.close()
        self._log.close()


@pytest.fixture(scope="module")
def folder():
    path = Path(tempfile.mkdtemp(prefix=f"archive-shared-cache-{WORKER}-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def redis(folder):
    server = Redis(folder)
    server.start()
    yield server
    if server.process.poll() is None:
        server.thaw()
        server.stop()


@pytest.fixture(scope="module")
def database(folder):
    database = Database(folder)
    yield database
    database.drop()


@pytest.fixture(scope="module")
def environment(folder, redis, database):
    """The sites' environment, with their database migrated and seeded. The pages' static
    files are served unhashed (as in the other tests), so no collectstatic is needed."""
    (folder / "shared_cache_settings.py").write_text(
        "from archive.settings import *  # noqa: F403\n"
        "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': "  # noqa: F405
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_URL", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shared_cache_settings",
        DJANGO_SECRET_KEY="shared-cache-test-secret-key",
        DJANGO_DEBUG="0",
        DATABASE_URL=database.url,
        CACHE_URL=redis.url,
        PYTHONPATH=os.pathsep.join([str(settings.BASE_DIR), str(folder)]),
    )
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for command in (["migrate", "--no-input"], ["loaddata", "seed"]):
        subprocess.run(
            [*manage, *command, "-v", "0"], env=env, cwd=settings.BASE_DIR, check=True, timeout=300
        )
    return env


@pytest.fixture(scope="module")
def sites(folder, environment):
    """Two gunicorns, each with its own worker process, so its own memory."""
    first = Site(folder, "first", environment)
    try:
        second = Site(folder, "second", environment)
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def site(folder, environment, request):
    """A third gunicorn of the test's own, so its log and its pause are the test's alone."""
    site = Site(folder, request.node.name, environment)
    yield site
    site.stop()


def story_count(text):
    """The home page's "N stories"."""
    return int(re.search(r"(\d+) stories", text).group(1))


def bump_revision(database):
    """Move the archive to a revision nothing has been cached under."""
    database.execute("UPDATE stories_archive_revision SET number = number + 1000 WHERE id = 1")


def set_status(database, slug, status):
    """What the admin's button does to the row; the revision triggers move the revision."""
    database.execute("UPDATE stories_story SET status = ? WHERE slug = ?", [status, slug])


def test_a_value_one_site_computes_the_other_reuses(sites, database):
    """The second site shows the count the first computed, from Redis. To tell a reused value
    from a recomputed one without timing, the count is made stale on purpose: a story is
    withdrawn and the archive's revision set back (which no real change does), so a site
    that computed the count itself would say one story fewer."""
    first, second = sites
    bump_revision(database)
    status, text = first.get("/")
    assert status == 200
    computed = story_count(text)
    set_status(database, "turin-balcony-concert", "withdrawn")
    try:
        database.execute("UPDATE stories_archive_revision SET number = number - 1 WHERE id = 1")
        status, text = second.get("/")
        assert status == 200
        assert story_count(text) == computed
        assert story_count(text) != computed - 1  # what the database says
    finally:
        set_status(database, "turin-balcony-concert", "published")
        bump_revision(database)


def test_a_withdrawn_story_leaves_both_sites_on_the_next_request(sites, database):
    title = "Maurizio Marchini sings “Nessun Dorma”"
    for site in sites:  # both have the pages cached
        for path in ("/", "/stories/", "/cities/florence/"):
            status, text = site.get(path)
            assert status == 200
            assert title in text, path
    before = story_count(sites[0].get("/")[1])
    set_status(database, "florence-nessun-dorma", "withdrawn")
    try:
        for site in sites:
            status, text = site.get("/")
            assert (status, story_count(text)) == (200, before - 1)
            assert title not in text
            status, text = site.get("/stories/")
            assert status == 200
            assert title not in text
            assert site.get("/cities/florence/")[0] == 404  # no published story names it
            assert site.get("/stories/florence-nessun-dorma/")[0] == 410
    finally:
        set_status(database, "florence-nessun-dorma", "published")


def test_the_cache_keys_carry_the_databases_prefix_and_the_release(sites, redis):
    sites[0].get("/stories/")
    keys = redis.keys()
    assert keys
    prefixes = {key.split(":")[0] for key in keys}
    versions = {key.split(":")[1] for key in keys}
    assert len(prefixes) == 1 and re.fullmatch(r"archive-[0-9a-f]{12}", prefixes.pop())
    assert versions == {str(settings.RELEASE)}


def assert_the_home_page(site, count):
    status, text = site.get("/")
    assert status == 200
    assert story_count(text) == count
    assert "Maurizio Marchini sings “Nessun Dorma”" in text


def test_a_stopped_redis_costs_the_cache_not_the_page(site, redis):
    count = story_count(site.get("/")[1])
    redis.stop()
    try:
        for _ in range(3):
            assert_the_home_page(site, count)
            status, text = site.get("/stories/?city=florence")
            assert status == 200
            assert "Nessun Dorma" in text
    finally:
        redis.start()
    assert site.log().count(WARNING) == 1, site.log()


def test_a_frozen_redis_costs_the_cache_not_the_page(site, redis):
    """Each request would wait for ever on a silent Redis without the socket timeouts; the
    client's CLIENT_TIMEOUT is the bound."""
    count = story_count(site.get("/")[1])
    redis.freeze()
    try:
        for _ in range(3):
            assert_the_home_page(site, count)
            status, text = site.get("/stories/?city=florence")
            assert status == 200
            assert "Nessun Dorma" in text
    finally:
        redis.thaw()
    assert site.log().count(WARNING) == 1, site.log()
    assert "redis://" not in site.log()


# --- The backend, in this process ------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def backend(redis, monkeypatch):
    """A ForgivingRedisCache on the module's Redis, with a clock the test moves, counting the
    calls that reach redis-py."""
    clock = Clock()
    monkeypatch.setattr(shared.time, "monotonic", clock)
    monkeypatch.setattr(shared, "outages", shared._Outages())
    calls = []
    real_get = RedisCacheClient.get

    def get(self, *args, **kwargs):
        calls.append(args)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(RedisCacheClient, "get", get)
    params = {"OPTIONS": dict(settings.CACHE_SOCKET_TIMEOUTS), "KEY_PREFIX": f"unit-{WORKER}"}
    cache = shared.ForgivingRedisCache(redis.url, params)
    cache.clock = clock
    cache.calls = calls
    yield cache
    cache.close()


def test_a_silent_redis_is_left_alone_for_ten_seconds_then_tried_again(backend, redis, caplog):
    backend.set("counts", {"stories": 6})
    redis.freeze()
    try:
        with caplog.at_level(logging.WARNING, logger="archive.cache"):
            assert backend.get("counts") is None  # waits one socket timeout
            assert backend.get("counts", "default") == "default"
            assert backend.get_many(["counts"]) == {}
            assert backend.get_or_set("other", lambda: 7) == 7
            assert backend.set_many({"a": 1}) == ["a"]
            assert backend.add("b", 1) is False
            assert backend.delete("counts") is False
            assert backend.has_key("counts") is False
            backend.set("c", 1)
            backend.clear()
    finally:
        redis.thaw()
    assert len(backend.calls) == 1  # only the first call reached Redis
    assert [r.getMessage() for r in caplog.records].count(
        "Redis cache unreachable (TimeoutError); serving without it, retrying in 10 s."
    ) == 1
    backend.clock.now += shared.PAUSE - 0.5
    assert backend.get("counts") is None  # still paused, though Redis is back
    assert len(backend.calls) == 1
    backend.clock.now += 1
    assert backend.get("counts") == {"stories": 6}  # tried again: nothing was lost
    assert len(backend.calls) == 2


def test_an_outage_after_a_recovery_is_logged_again(backend, redis, caplog):
    with caplog.at_level(logging.WARNING, logger="archive.cache"):
        for _ in range(2):
            redis.freeze()
            try:
                backend.get("counts")
            finally:
                redis.thaw()
            backend.clock.now += shared.PAUSE
            backend.get("counts")  # answers
    assert len([r for r in caplog.records if WARNING in r.getMessage()]) == 2
