import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection


def pytest_configure(config):
    """With CACHE_URL naming a Redis, each pytest-xdist worker (gw0, gw1, ...) gets a Redis
    database of its own (the URL's number plus 1, 2, ...): `cache.clear()`, which every test
    runs, empties a whole Redis database, and must not empty another worker's mid-test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache = django_settings.CACHES["default"]
    if not worker or not cache["BACKEND"].endswith("RedisCache"):
        return
    index = int(worker.removeprefix("gw")) + 1
    url = urlsplit(cache["LOCATION"])
    query = dict(parse_qsl(url.query))
    if url.scheme == "unix":
        number = int(query.get("db", 0)) + index
        # (Built by hand: urlunsplit() would drop the "//" of unix:///path.)
        location = f"unix://{url.path}?{urlencode({**query, 'db': number})}"
    else:
        number = int(url.path.strip("/") or 0) + index
        location = urlunsplit(url._replace(path=f"/{number}"))
    if number > 15:
        raise pytest.UsageError(
            f"xdist worker {worker} would need Redis database {number}; Redis has 16 (0-15) "
            "unless its `databases` setting says more: run fewer workers."
        )
    cache["LOCATION"] = location


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Facets are counted in full, however loaded the machine: the tests of the time budget
    # (tests/test_budget.py) set their own.
    settings.FACET_TIME_BUDGET = 60
    # Pages render without a prior collectstatic (no hashed-name manifest); the manifest
    # storage is tested by CI's smoke run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        # Archived copies go to a folder of the test's own, never to the project's copies/.
        "copies": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path_factory.mktemp("copies"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with nothing cached (facet counts are cached between requests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor(db):
    """A staff user in the Editors group, who may do everything, publishing included."""
    from tests import factories

    return factories.user("editor", group="Editors")


@pytest.fixture
def contributor(db):
    """A staff user in the Contributors group, who writes drafts and submits them for review."""
    from tests import factories

    return factories.user("contributor", group="Contributors")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def contributor_client(client, contributor):
    client.force_login(contributor)
    return client


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests run in the PostgreSQL pass of CI, not on SQLite; SQLite-only
    tests (its full-text index) in the SQLite pass."""
    if connection.vendor == "postgresql":
        marker = "sqlite"
        skip = pytest.mark.skip(reason="SQLite only: run without DATABASE_URL")
    else:
        marker = "postgres"
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to run it")
    for item in items:
        if marker in item.keywords:
            item.add_marker(skip)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# How long Playwright waits for an element, a navigation or an event, and how long `expect`
# waits for what the page shows (its own default is 5 s). CI runs the suite with two xdist
# workers on a busy two-core machine, each with its own Chromium and live server: a page may
# take seconds to come. Every wait is for an event or a state, never a fixed sleep, so a
# longer limit costs nothing when things go right.
BROWSER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (its own browser downloads cannot run here).
    Session-scoped: one Chromium per xdist worker, each with its own profile."""
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made by the
    # test itself (building data) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    """Opens browser contexts (a visitor each: own cookies, own cache) with the suite's
    timeouts; closes them after the test, whether it passed or not."""
    contexts = []

    def new_context(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context(viewport={"width": 1280, "height": 900}).new_page()


@pytest.fixture
def artifacts_dir():
    """Screenshots and reports CI keeps; git ignores the folder."""
    path = django_settings.BASE_DIR / "artifacts"
    path.mkdir(exist_ok=True)
    return path
