"""A page capture replayed in the page by ReplayWeb.page, from the site's own static files,
on an origin of its own (browse/replay.py, templates/browse/copy_replay*.html,
static/replay/)."""

import datetime
import json
import subprocess

import pytest
from django.conf import settings
from django.utils import timezone

from preservation import files
from preservation.fetch import Hop, Outcome
from preservation.models import ArchivedCopy
from preservation.warc import MEDIA_TYPE, warc_of
from stories.models import Story
from tests import factories
from tests.sites import jpeg_with_location

CAPTURED = timezone.make_aware(datetime.datetime(2020, 3, 20, 9, 30))
ORIGINAL = "https://twitter.com/someone/status/1"
# The text of the captured page: only the replay can put it on the screen.
MARKER = "Neighbours sang Bella ciao from every balcony of Via Roma"
REPLAY = settings.BASE_DIR / "static" / "replay"
PACKAGE = settings.BASE_DIR / "node_modules" / "replaywebpage"
VNU = settings.BASE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REPLAY_HOST = "replay.testserver"


@pytest.fixture(autouse=True)
def replay_origin(settings):
    """Captures are replayed from http://replay.testserver, another name of the site."""
    settings.REPLAY_ORIGIN = f"http://{REPLAY_HOST}"
    settings.ALLOWED_HOSTS = ["testserver", REPLAY_HOST]


def frame_of(client, copy):
    return client.get(f"/copies/{copy.pk}/replay/frame/", HTTP_HOST=REPLAY_HOST)


def warc_of_a_page(url, text):
    """A WARC written by the archive's own writer, as capture_posts writes one."""
    body = f"<!DOCTYPE html><html><head><title>Post</title></head><body><p>{text}</p></body></html>"
    body = body.encode()
    hop = Hop(
        url=url,
        request_headers=[("Host", "twitter.com"), ("User-Agent", "test")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        body=body,
    )
    outcome = Outcome(url=url, asked_at=CAPTURED, hops=[hop], status="live", http_status=200)
    return warc_of(outcome, "capture_posts")


def new_copy(post, kind="capture", data=None, media_type=MEDIA_TYPE):
    return files.new_copy(
        post,
        kind=kind,
        data=data if data is not None else warc_of_a_page(ORIGINAL, MARKER),
        media_type=media_type,
        original_url=ORIGINAL,
        captured_by="capture_posts",
        captured_at=CAPTURED,
    )


@pytest.fixture
def post(db):
    story = factories.story("Applause in Madrid", slug="applause")
    return factories.post(story, url=ORIGINAL, handle="someone")


@pytest.fixture
def capture(post):
    return new_copy(post)


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    return {
        name: sources
        for name, *sources in (
            part.split() for part in response["Content-Security-Policy"].split(";")
        )
    }


# The vendored scripts


def test_the_vendored_scripts_are_the_pinned_packages_files_unchanged():
    """static/replay/ holds ReplayWeb.page's own ui.js and sw.js at the version package.json
    pins (`make replay-assets` copies them): CI installs node_modules (`make test-tools`)."""
    if not PACKAGE.exists():
        pytest.skip("node_modules/replaywebpage is not installed: run `make test-tools`")
    pinned = json.loads((settings.BASE_DIR / "package.json").read_text())["devDependencies"]
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    assert pinned["replaywebpage"] == installed
    assert (REPLAY / "NOTICE.txt").read_text().startswith(f"ReplayWeb.page {installed} ")
    for name in ("ui.js", "sw.js"):
        assert (REPLAY / name).read_bytes() == (PACKAGE / name).read_bytes(), name
    assert (REPLAY / "LICENSE.txt").read_bytes() == (PACKAGE / "LICENSE").read_bytes()


def test_the_licence_says_agpl():
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (REPLAY / "LICENSE.txt").read_text()
    assert "AGPL-3.0-or-later" in (REPLAY / "NOTICE.txt").read_text()


@pytest.fixture
def static_served(settings):
    """WhiteNoise serves static/ from the finders, as no collectstatic has run."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_the_service_worker_is_served_from_the_folder_it_replays_in(client, capture, static_served):
    """A service worker's scope may be its script's folder or below without a
    Service-Worker-Allowed header: the replay base is that folder."""
    page = frame_of(client, capture).content.decode()
    assert 'replaybase="/static/replay/"' in page
    worker = client.get("/static/replay/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert "Service-Worker-Allowed" not in worker
    # The folder's own address answers before the worker has taken it over.
    assert b"Loading the capture" in b"".join(client.get("/static/replay/"))


def test_only_the_replay_folder_may_be_framed_and_only_by_the_site(client, db, static_served):
    site = policy(client.get("/static/css/site.css"))
    assert site["frame-ancestors"] == ["'none'"]
    for url in [
        "/static/replay/",
        "/static/replay/reload.js",
        "/static/replay/sw.js",
        "/static/replay/ui.js",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        # (the site's page frames the replay origin's, which frames this folder: every
        # ancestor counts)
        assert policy(response) == {**site, "frame-ancestors": ["'self'", "testserver:*"]}, url


# The story page


def test_the_story_page_offers_a_capture_to_download_and_to_replay(client, capture):
    page = client.get("/stories/applause/").content.decode()
    assert f'<a href="/copies/{capture.pk}/" download>Download the capture of {ORIGINAL}' in page
    assert f'<a href="/copies/{capture.pk}/replay/">Replay this capture</a>' in page


def test_a_picture_has_no_replay_link(client, post):
    image = new_copy(post, kind="image", data=jpeg_with_location(), media_type="image/jpeg")
    page = client.get("/stories/applause/").content.decode()
    assert f"/copies/{image.pk}/" in page
    assert "/replay/" not in page


# The replay page


def test_the_replay_page_embeds_the_capture_and_offers_it_to_download(client, capture):
    response = client.get(f"/copies/{capture.pk}/replay/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1" in page and f"Capture of {ORIGINAL}</h1>" in page
    # The replay itself is framed from the replay origin; nothing of it runs on the site's.
    assert (
        f'<iframe class="replay-frame" src="http://{REPLAY_HOST}/copies/{capture.pk}/replay/'
        f'frame/" title="The capture of {ORIGINAL}, replayed"></iframe>'
    ) in page
    assert "ui.js" not in page and "<replay-web-page" not in page
    assert f'<a href="/copies/{capture.pk}/" download>Download the capture (WARC, ' in page
    assert '<time datetime="2020-03-20">20 March 2020</time>' in page
    assert 'for the story <a href="/stories/applause/">Applause in Madrid</a>.' in page


def test_the_replay_page_is_cacheable_and_revalidated(client, capture):
    response = client.get(f"/copies/{capture.pk}/replay/")
    assert "public" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    again = client.get(f"/copies/{capture.pk}/replay/", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_the_replay_origins_frame_holds_replaywebpage_and_the_warc_of_its_origin(client, capture):
    response = frame_of(client, capture)
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f'<replay-web-page source="/copies/{capture.pk}/" url="{ORIGINAL}" '
        'replaybase="/static/replay/" embed="replayonly"></replay-web-page>'
    ) in page
    assert '<script src="/static/replay/ui.js" defer></script>' in page
    warc = client.get(f"/copies/{capture.pk}/", HTTP_HOST=REPLAY_HOST)
    assert warc.status_code == 200


def test_the_frame_is_only_on_the_replay_origin(client, capture):
    assert client.get(f"/copies/{capture.pk}/replay/frame/").status_code == 404
    # and the page that frames it only on the site's
    assert client.get(f"/copies/{capture.pk}/replay/", HTTP_HOST=REPLAY_HOST).status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/stories/applause/", "/admin/login/", "/api/stories/", "/stories/export.csv"]
)
def test_the_replay_origin_answers_nothing_of_the_site(client, capture, path):
    """A replayed page's scripts run on the replay origin: no page, form, login or cookie
    of the site is there for them."""
    assert client.get(path).status_code in (200, 302)
    response = client.get(path, HTTP_HOST=REPLAY_HOST)
    assert response.status_code == 404
    assert not response.cookies


def test_without_a_replay_origin_a_capture_is_a_download(client, capture, settings):
    settings.REPLAY_ORIGIN = ""
    page = client.get("/stories/applause/").content.decode()
    assert f'<a href="/copies/{capture.pk}/" download>' in page
    assert "/replay/" not in page
    assert client.get(f"/copies/{capture.pk}/replay/").status_code == 404
    assert frame_of(client, capture).status_code == 404


def test_a_missing_copy_has_no_replay_page(client, db):
    assert client.get("/copies/999999/replay/").status_code == 404


def test_a_hidden_capture_has_no_replay_page(client, capture):
    ArchivedCopy.objects.filter(pk=capture.pk).update(hidden=True, hidden_reason="Asked")
    hidden = client.get(f"/copies/{capture.pk}/replay/")
    missing = client.get("/copies/999999/replay/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN]
)
def test_a_capture_of_an_unpublished_story_has_no_replay_page(client, capture, status):
    Story.objects.filter(pk=capture.post.story_id).update(status=status)
    assert client.get(f"/copies/{capture.pk}/replay/").status_code == 404


def test_a_picture_has_no_replay_page(client, post):
    image = new_copy(post, kind="image", data=jpeg_with_location(), media_type="image/jpeg")
    assert client.get(f"/copies/{image.pk}/").status_code == 200
    assert client.get(f"/copies/{image.pk}/replay/").status_code == 404


def test_the_replay_page_and_the_story_page_are_valid_html(client, capture, tmp_path):
    if not VNU.exists():
        pytest.skip("vnu-jar is not installed: run `make test-tools`")
    pages = []
    for name, response in [
        ("replay", client.get(f"/copies/{capture.pk}/replay/")),
        ("frame", frame_of(client, capture)),
        ("story", client.get("/stories/applause/")),
    ]:
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        pages.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']}" for m in messages] == []


# In a real browser


class ThroughTheMiddleware:
    """Stands in for the live server's static files handler, which would answer /static/
    itself, without the site's middleware: here WhiteNoise serves them inside the site's
    middleware, with the headers production sends (the service worker's script gets the
    site's Content-Security-Policy, which is the policy the worker runs under)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


# The site and its replay origin as production has them: two host names of one site
# (archive.test and replay.archive.test), both resolved to the live server by Chromium, and
# treated as secure contexts as HTTPS would make them (service workers need one). A
# different site (127.0.0.1 and localhost) would make the replay a third party, whose
# service worker Chromium refuses.
SITE_HOST, REPLAY_HOST_NAME = "archive.test", "replay.archive.test"


@pytest.fixture
def deployed(transactional_db, settings):
    """A live server that serves static files as production does (WhiteNoise, reading them
    from the finders, as no collectstatic has run), under the site's and the replay
    origin's host names."""
    from pytest_django.live_server_helper import LiveServer

    settings.WHITENOISE_USE_FINDERS = True
    # Django's live server also serves MEDIA_URL from MEDIA_ROOT itself; both empty (the
    # site has no media), that would be every file under the current folder, static/ too.
    settings.MEDIA_URL = "/no-media/"
    settings.WHITENOISE_AUTOREFRESH = True
    server = LiveServer("127.0.0.1", start=False)
    server.thread.static_handler = ThroughTheMiddleware
    server._live_server_modified_settings.enable()
    server.start()
    port = server.thread.port
    server.site = f"http://{SITE_HOST}:{port}"
    settings.REPLAY_ORIGIN = f"http://{REPLAY_HOST_NAME}:{port}"
    settings.ALLOWED_HOSTS = [SITE_HOST, REPLAY_HOST_NAME]
    yield server
    server.stop()
    server._live_server_modified_settings.disable()


@pytest.fixture
def two_origins_browser(browser, deployed):
    """A Chromium of its own that resolves the two host names to the live server."""
    from tests.conftest import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS

    origins = f"{deployed.site},{settings.REPLAY_ORIGIN}"
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            f"--host-resolver-rules=MAP {SITE_HOST} 127.0.0.1, MAP {REPLAY_HOST_NAME} 127.0.0.1",
            f"--unsafely-treat-insecure-origin-as-secure={origins}",
        ],
    )
    context = other.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
    yield context
    other.close()


# A resource the capture does not hold (the replayed page's /favicon.ico) is a 404 from
# the service worker, and ReplayWeb.page asks for its collection before loading it: both are
# logged as "Failed to load resource"; anything else that is an error is a problem.
NOT_IN_THE_CAPTURE = "Failed to load resource: the server responded with a status of 404"


@pytest.fixture
def watched(two_origins_browser):
    """A page whose console errors (CSP violations among them, in every frame), uncaught
    script errors and requests are collected: `page.problems`, `page.requested`."""
    from tests.test_csp_browser import REPORT_VIOLATIONS

    context = two_origins_browser
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.problems = []
    page.requested = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith(NOT_IN_THE_CAPTURE):
            page.problems.append(message.text)

    context.on("console", on_console)
    context.on("weberror", lambda error: page.problems.append(f"script error: {error.error}"))
    context.on("request", lambda request: page.requested.append(request.url))
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_capture_is_replayed_in_the_page_under_the_policy(deployed, watched, artifacts_dir):
    from playwright.sync_api import expect

    from tests.test_accessibility import axe_violations

    story = factories.story("Applause in Madrid", slug="applause")
    capture = new_copy(factories.post(story, url=ORIGINAL, handle="someone"))
    replay_origin = settings.REPLAY_ORIGIN
    response = watched.goto(f"{deployed.site}/copies/{capture.pk}/replay/")
    assert response.status == 200
    assert f"frame-src {replay_origin}" in response.headers["content-security-policy"]

    # The site's page frames the replay origin's, whose ReplayWeb.page frame (its app, which
    # the service worker serves) holds the frame of the replayed page, made from the WARC.
    elsewhere = watched.frame_locator("iframe.replay-frame")
    app = elsewhere.frame_locator("replay-web-page iframe")
    replayed = app.frame_locator("iframe").first
    expect(replayed.locator("body")).to_contain_text(MARKER)
    watched.screenshot(path=artifacts_dir / "replay.png", full_page=True)
    assert watched.problems == []
    assert axe_violations(watched) == []
    # Everything came from the site or its replay origin: the scripts, the WARC, the replay;
    # the WARC and the replay from the replay origin only, and the replayed page ran there.
    origins = (deployed.site, replay_origin)
    assert [url for url in watched.requested if not url.startswith(origins)] == []
    assert f"{replay_origin}/copies/{capture.pk}/" in watched.requested
    assert f"{deployed.site}/copies/{capture.pk}/" not in watched.requested
    on_the_site = f"{deployed.site}/static/replay/"
    assert not [url for url in watched.requested if url.startswith(on_the_site)]
    frames = [frame.url for frame in watched.frames]
    assert any(url.startswith(f"{replay_origin}/static/replay/w/") for url in frames)
