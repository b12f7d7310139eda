"""Accessibility and validity, checked by real tools: axe-core in Chromium, the Nu Html Checker."""

import json
import subprocess
import urllib.request

import pytest
from django.conf import settings

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NODE_MODULES = settings.BASE_DIR / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

PAGES = {
    "home": "/",
    "list": "/stories/",
    "list-filtered": "/stories/?city=florence&kind=music",
    "list-invalid": "/stories/?date_after=2020-13-45&country=ITALY",
    "list-posted-captured": "/stories/?posted_after=2020-03-01&captured_before=2026-12-31",
    "list-invalid-dates": "/stories/?posted_after=2020-13-45&captured_before=soon",
    "story": "/stories/florence-nessun-dorma/",
    "cities": "/cities/",
    "city": "/cities/florence/",
    "region": "/regions/sicily/",
    "performer": "/performers/maurizio-marchini/",
    "performers": "/performers/",
    "list-empty": "/stories/?q=nothingmatchesthisword",
    "about": "/about/",
    "day": "/on/2020-03-14/",
    "timeline": "/timeline/",
    "map": "/map/",
}


@pytest.fixture
def archive(live_server):
    factories.seed_like()
    return live_server.url


def axe_violations(page):
    # Evaluated through the DevTools protocol: the page's Content-Security-Policy forbids an
    # injected inline <script>, and the page is checked with its policy on, as served.
    page.evaluate(AXE.read_text())
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']}: {v['help']} at {[node['target'] for node in v['nodes']]}" for v in violations
    ]


@pytest.mark.parametrize("name", PAGES)
def test_axe_reports_no_violations(archive, page, artifacts_dir, name):
    page.goto(archive + PAGES[name])
    page.screenshot(path=artifacts_dir / f"page-{name}.png", full_page=True)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", ["/stories/?q=balcony", "/timeline/", "/map/", "/regions/sicily/"])
def test_axe_reports_no_violations_at_phone_and_desktop_widths(archive, page, width, path):
    """Phones get their own layout of the list (results first), the timeline (a list) and
    the map (a taller drawing): each is checked as a phone shows it."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(archive + path)
    assert axe_violations(page) == []


def test_nu_html_checker_reports_no_errors(archive, tmp_path):
    files = []
    for name, path in PAGES.items():
        try:
            body = urllib.request.urlopen(archive + path).read()  # the local test server
        except urllib.error.HTTPError as error:  # the 400 page is served as an error
            body = error.read()
        file = tmp_path / f"{name}.html"
        file.write_bytes(body)
        files.append(str(file))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']}" for m in messages]
    assert errors == [], "\n".join(errors)
