"""Every answer carries the security headers: a strict Content-Security-Policy, a
Permissions-Policy, and the headers that were already sent, caching ones included."""

import re
from pathlib import Path

import pytest
import simple_history
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from preservation import files
from tests import factories

PUBLIC_PAGES = [
    ("/", 200),
    ("/stories/", 200),
    ("/stories/?city=florence", 200),
    ("/stories/florence-nessun-dorma/", 200),
    ("/cities/", 200),
    ("/cities/florence/", 200),
    ("/on/2020-03-14/", 200),
    ("/timeline/", 200),
    ("/map/", 200),
    ("/stories/?date_after=2020-13-45", 400),
    ("/stories/no-such-story/", 404),
]


@pytest.fixture
def seed_like(db):
    return factories.seed_like()


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_public_pages_allow_nothing_but_their_own_origin(client, seed_like):
    for url, status in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == status, url
        csp = policy(response)
        assert csp["default-src"] == ["'none'"], url
        for directive in ("script-src", "style-src", "img-src", "font-src", "form-action"):
            assert csp[directive] == ["'self'"], (url, directive)
        for directive in ("frame-ancestors", "object-src", "base-uri"):
            assert csp[directive] == ["'none'"], (url, directive)


def test_public_pages_frame_nothing(client, seed_like):
    """No frame, worker or child context is allowed anywhere but on the replay page."""
    for url, _status in PUBLIC_PAGES:
        csp = policy(client.get(url))
        assert not {"frame-src", "worker-src", "child-src"} & set(csp), url


def test_the_replay_page_adds_only_frames_of_the_replay_origin(client, seed_like, settings):
    """The story page's policy is the site's, a capture on it or not; the page that replays
    the capture adds `frame-src` of the replay origin (browse/replay.py) and nothing else;
    the frame there adds its own origin's frames (ReplayWeb.page's) and names the site as
    the one page that may frame it."""
    settings.REPLAY_ORIGIN = "http://replay.testserver"
    settings.ALLOWED_HOSTS = ["testserver", "replay.testserver", ".example.org"]
    story = seed_like["florence"]
    post = story.posts.first()
    capture = files.new_copy(
        post,
        kind="capture",
        data=b"WARC/1.1 ...",
        media_type="application/warc",
        original_url=post.url,
        captured_by="capture_posts",
        captured_at=timezone.now(),
    )
    story_page = client.get(story.get_absolute_url())
    assert f"/copies/{capture.pk}/replay/" in story_page.content.decode()
    assert story_page["Content-Security-Policy"] == client.get("/")["Content-Security-Policy"]
    replay = policy(client.get(f"/copies/{capture.pk}/replay/"))
    assert replay == {**policy(story_page), "frame-src": ["http://replay.testserver"]}
    frame = client.get(f"/copies/{capture.pk}/replay/frame/", HTTP_HOST="replay.testserver")
    assert policy(frame) == {
        **policy(story_page),
        "frame-src": ["'self'"],
        "frame-ancestors": ["testserver:*", "*.example.org:*"],
    }
    assert "X-Frame-Options" not in frame


def test_admin_pages_have_the_same_policy(client, editor_client, seed_like):
    login = client.get(reverse("admin:login"))
    change_list = editor_client.get(reverse("admin:stories_story_changelist"))
    assert login["Content-Security-Policy"] == change_list["Content-Security-Policy"]
    assert "'unsafe-inline'" not in login["Content-Security-Policy"]
    assert "'unsafe-eval'" not in login["Content-Security-Policy"]


def test_public_pages_keep_their_other_security_headers(client, seed_like):
    for url, _status in PUBLIC_PAGES:
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        permissions = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, url


def test_public_pages_stay_cacheable_under_the_new_headers(client, seed_like):
    for url in ["/", "/stories/", "/cities/florence/", "/timeline/", "/map/"]:
        response = client.get(url)
        assert "public" in response["Cache-Control"], url
        assert "Cookie" not in response.get("Vary", ""), url
        conditional = client.get(url, headers={"if-none-match": response["ETag"]})
        assert conditional.status_code == 304, url


def test_no_https_settings_on_plain_http_by_default(client, seed_like):
    """`make run` and the tests serve plain http: no redirect, no HSTS."""
    response = client.get("/")
    assert response.status_code == 200
    assert not response.has_header("Strict-Transport-Security")


def test_templates_have_no_inline_script_or_style():
    """The policy blocks them: scripts and styles live in static/ files."""
    offending = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\ssrc=)[^>]*>", r"<style", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                offending.append(f"{path.relative_to(settings.BASE_DIR)}: {pattern}")
    assert offending == []


def test_history_list_template_is_the_librarys_less_its_inline_style():
    """templates/simple_history/object_history_list.html overrides django-simple-history's
    only to drop a style attribute; after an upgrade of the library, copy its new one."""
    ours = (settings.BASE_DIR / "templates/simple_history/object_history_list.html").read_text()
    library = Path(simple_history.__file__).parent / "templates/simple_history"
    theirs = (library / "object_history_list.html").read_text()
    ours_without_comment = re.sub(r"\A\{% comment %\}.*?\{% endcomment %\}\n", "", ours, flags=re.S)
    assert ours_without_comment == theirs.replace(' style="border-top: 0"', "")
