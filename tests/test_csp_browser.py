"""The Content-Security-Policy in a real browser: every public page and the admin's main pages
load and run their scripts under it, and the browser reports no violation of it."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from stories.models import Story
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

editor_groups = importlib.import_module("stories.migrations.0003_editor_groups")

# Chromium reports a blocked inline script or style, eval, frame or source to the page as a
# `securitypolicyviolation` event; this script (run by Playwright before the page's own, and
# not subject to the policy) repeats each one on the console, where the test collects them.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""

NOT_FOUND_OR_BAD = (
    "Failed to load resource: the server responded with a status of 400",
    "Failed to load resource: the server responded with a status of 404",
)


@pytest.fixture(autouse=True)
def _editorial_groups():
    """The groups the data migration creates; a transactional test's flush removes them."""
    for name, codenames in editor_groups.GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
        )


@pytest.fixture
def watched(new_context):
    """A page whose console errors (CSP violations among them) and uncaught script errors,
    its popups' included, are collected in `page.problems`."""
    context = new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.problems = []

    def on_console(message):
        # The 400 and 404 answers asked for below (and the missing favicon) are logged as
        # "Failed to load resource"; their statuses are checked where they are requested.
        if message.type == "error" and not message.text.startswith(NOT_FOUND_OR_BAD):
            page.problems.append(message.text)

    # On the context, so that popups (the admin's "add another") are watched too.
    context.on("console", on_console)
    context.on("weberror", lambda error: page.problems.append(f"script error: {error.error}"))
    return page


def choose(page, field, text):
    """Pick `text` in an admin autocomplete (select2) field."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-search__field").last.fill(text[:4])
    page.locator(".select2-results__option", has_text=text).click()


def visit(page, url, status=200):
    """Open `url`, check its status and that it was served under the policy."""
    response = page.goto(url)
    assert response.status == status, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, url
    page.wait_for_load_state("load")
    return response


def test_public_pages_run_under_the_policy_without_a_violation(live_server, watched):
    stories = factories.seed_like()
    florence = stories["florence"]
    performer = florence.performers.get()
    base = live_server.url
    for path, status in [
        ("/", 200),
        ("/stories/", 200),
        ("/stories/?city=florence&kind=music", 200),
        ("/stories/?q=balcony", 200),
        ("/stories/?date_after=2020-13-45", 400),
        (f"/stories/{florence.slug}/", 200),
        ("/stories/no-such-story/", 404),
        ("/cities/", 200),
        ("/cities/florence/", 200),
        (f"/performers/{performer.slug}/", 200),
        ("/on/2020-03-14/", 200),
        ("/timeline/", 200),
        ("/map/", 200),
    ]:
        visit(watched, base + path, status)

    # filters.js still runs: it leaves the empty fields out of the submitted address.
    visit(watched, base + "/stories/")
    watched.get_by_label("City", exact=True).fill("florence")
    watched.get_by_role("button", name="Show stories").click()
    expect(watched).to_have_url(base + "/stories/?city=florence")

    assert watched.problems == []


def test_admin_scripts_work_under_the_policy_without_a_violation(live_server, watched):
    factories.user("editor", group="Editors")
    stories = factories.seed_like()
    factories.source(slug="article-2020-03-16", title="Lockdown solidarity")
    draft = factories.story("A draft about a choir in Bergamo", status=Story.Status.DRAFT)
    base = live_server.url

    visit(watched, f"{base}/admin/login/")
    watched.fill("#id_username", "editor")
    watched.fill("#id_password", "a-long-test-password")
    watched.click("input[type=submit]")
    expect(watched.locator("#user-tools")).to_contain_text("editor")

    # prepopulate.js fills the slug from the title; select2 (autocomplete) finds a city;
    # inlines.js adds a post row; the workflow buttons publish.
    visit(watched, f"{base}/admin/stories/story/add/")
    watched.locator("#id_title").press_sequentially("Tenor sings from his balcony")
    expect(watched.locator("#id_slug")).to_have_value("tenor-sings-from-his-balcony")
    # DateTimeShortcuts.js: the calendar opens beside the date field.
    watched.locator(".field-start_date .date-icon").first.click()
    expect(watched.locator(".calendarbox").first).to_be_visible()
    watched.locator(".calendarbox .calendarnav-previous").first.click()
    watched.keyboard.press("Escape")
    watched.fill("#id_start_date", "2020-03-14")
    # RelatedObjectLookups.js: "add another" opens a popup whose answer (popup_response.js)
    # puts the new performer in the field and closes it.
    with watched.expect_popup() as opened:
        watched.click("#add_id_performers")
    popup = opened.value
    popup.fill("#id_name", "Luca the cellist")
    # The popup closes itself as soon as its answer loads, maybe before the click returns:
    # the wait for "close" is registered before the click, so it cannot miss it.
    with popup.expect_event("close"):
        popup.click("input[name=_save]")
    expect(watched.locator(".field-performers")).to_contain_text("Luca the cellist")
    choose(watched, "cities", "Florence")
    choose(watched, "sources", "Lockdown solidarity")
    watched.click("#posts-group .add-row a")
    expect(watched.locator("#id_posts-0-url")).to_be_visible()
    watched.fill("#id_posts-0-url", "https://twitter.com/someone/status/1238851651722137600")
    watched.fill("#id_posts-0-posted_on", "2020-03-14")
    watched.click("button[name=_transition][value=publish]")
    expect(watched.locator(".messagelist")).to_contain_text("1 story published")

    # actions.js: ticking the header box selects every row and counts them.
    visit(watched, f"{base}/admin/stories/story/")
    watched.locator("#action-toggle").check()
    expect(watched.locator(".action-counter")).to_contain_text("8 of 8 selected")

    story = stories["florence"]
    visit(watched, f"{base}/admin/")
    visit(watched, f"{base}/admin/stories/story/{story.pk}/change/")
    visit(watched, f"{base}/admin/stories/story/{draft.pk}/change/")
    visit(watched, f"{base}/admin/stories/story/{story.pk}/history/")
    record = story.history.earliest("history_date")
    visit(watched, f"{base}/admin/stories/story/{story.pk}/history/{record.history_id}/")
    visit(watched, f"{base}/admin/stories/story/deleted/")
    visit(watched, f"{base}/admin/stories/city/")
    visit(watched, f"{base}/admin/stories/city/add/")
    visit(watched, f"{base}/admin/stories/performer/add/")
    visit(watched, f"{base}/stories/{draft.slug}/")  # the staff preview of a draft

    assert watched.problems == []
