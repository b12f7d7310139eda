"""An editor's day in Chromium: create a story with a place and a post, publish, withdraw."""

import importlib
import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from tests import factories

# Transactional: the live server reads what the test writes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

editor_groups = importlib.import_module("stories.migrations.0003_editor_groups")


@pytest.fixture(autouse=True)
def _editorial_groups():
    """The groups the data migration creates; a transactional test's flush removes them."""
    for name, codenames in editor_groups.GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
        )


def choose(page, field, text):
    """Pick `text` in an admin autocomplete (select2) field."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-search__field").last.fill(text[:4])
    page.locator(".select2-results__option", has_text=text).click()


def visitor(new_context):
    """A fresh visitor: no session and nothing in the browser's cache (public pages are
    cacheable for minutes, so the editor's own tab may show what it saw before)."""
    return new_context().new_page()


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    # Signed in once the admin's index shows the name: the session cookie is set by then, and
    # no later navigation can cut the login's own short.
    expect(page.locator("#user-tools")).to_contain_text("editor")


def test_editor_publishes_a_story_then_withdraws_it(live_server, new_context, page, artifacts_dir):
    factories.user("editor", group="Editors")
    factories.city("Florence")
    factories.source(slug="article-2020-03-16", title="Lockdown solidarity")

    sign_in(page, live_server)

    page.goto(f"{live_server.url}/admin/stories/story/add/")
    page.locator("#id_title").press_sequentially("Tenor sings Nessun Dorma from his balcony")
    expect(page.locator("#id_slug")).to_have_value("tenor-sings-nessun-dorma-from-his-balcony")
    page.fill("#id_start_date", "2020-03-14")
    choose(page, "cities", "Florence")
    choose(page, "sources", "Lockdown solidarity")
    page.click("#posts-group .add-row a")
    page.fill("#id_posts-0-url", "https://twitter.com/MuhammadLila/status/1238851651722137600")
    page.fill("#id_posts-0-handle", "@MuhammadLila")
    page.fill("#id_posts-0-posted_on", "2020-03-14")
    page.click("button[name=_transition][value=publish]")
    expect(page.locator(".messagelist")).to_contain_text("1 story published")
    page.screenshot(path=artifacts_dir / "admin-story-published.png", full_page=True)

    reader = visitor(new_context)
    reader.goto(f"{live_server.url}/stories/?city=florence")
    story_link = reader.get_by_role("link", name="Tenor sings Nessun Dorma from his balcony")
    expect(story_link).to_be_visible()
    story_link.click()
    expect(reader.locator(".handle")).to_have_text("@MuhammadLila")
    story_url = reader.url
    reader.context.close()

    page.goto(f"{live_server.url}/admin/stories/story/")
    page.get_by_role("link", name="Tenor sings Nessun Dorma from his balcony").click()
    page.click("button[name=_transition][value=withdraw]")
    expect(page.locator(".messagelist")).to_contain_text("1 story withdrawn")

    reader = visitor(new_context)
    response = reader.goto(story_url)
    assert response.status == 410
    expect(reader.locator("h1")).to_have_text("This story has been withdrawn")
    for public_list in ("/", "/stories/", "/cities/florence/"):
        reader.goto(f"{live_server.url}{public_list}")
        expect(reader.locator("main")).not_to_contain_text("Nessun Dorma")
    reader.context.close()
    assert re.search(r"/stories/[\w-]+/$", story_url)


def test_editor_reverts_a_published_story_to_an_earlier_version(live_server, new_context, page):
    """The history of a published story opens, each version opens, and a revert restores the
    old words while the story stays published at the same address."""
    from stories import workflow
    from stories.models import Story

    editor = factories.user("editor", group="Editors")
    story = factories.story(
        "Tenor sings from his balcony",
        slug="tenor-balcony",
        status=Story.Status.DRAFT,
        cities=[factories.city("Florence")],
        sources=[factories.source(title="Lockdown solidarity")],
    )
    story.title = "Tenor sings Nessun Dorma from his balcony"
    story.save()
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    story.refresh_from_db()
    story.title = "Maurizio Marchini sings Nessun Dorma from his balcony"
    story._history_user = editor
    story.save()
    versions = list(story.history.all())  # newest first, as the history page lists them

    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/change/")
    page.click("a.historylink")
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(len(versions))
    expect(rows.nth(0)).to_contain_text("editor")
    expect(page.locator("#change-history")).to_contain_text("Published")
    expect(page.locator("#change-history")).not_to_contain_text("None")

    for n, version in enumerate(versions):
        rows.nth(n).locator("a").first.click()
        expect(page.locator("#id_title")).to_have_value(version.title)
        expect(page.locator(".revert-note")).to_contain_text(
            "The story stays “Published” and keeps its address, tenor-balcony"
        )
        expect(page.locator("input[name=_save][value=Revert]").first).to_be_visible()
        page.go_back()

    # The last version with the first title: its places and source were set by then.
    first_title = next(
        n for n, v in enumerate(versions) if v.title == "Tenor sings from his balcony"
    )
    rows.nth(first_title).locator("a").first.click()
    expect(page.locator("#id_title")).to_have_value("Tenor sings from his balcony")
    page.locator("input[name=_save][value=Revert]").first.click()
    expect(page.locator(".messagelist")).to_contain_text(
        "“Tenor sings from his balcony” is back to the version you chose."
    )
    expect(page.locator("#id_title")).to_have_value("Tenor sings from his balcony")
    expect(page.locator(".field-slug .readonly")).to_have_text("tenor-balcony")
    expect(page.locator(".field-status .readonly")).to_have_text("Published")

    reader = visitor(new_context)
    reader.goto(f"{live_server.url}/stories/tenor-balcony/")
    expect(reader.locator("h1")).to_have_text("Tenor sings from his balcony")
    reader.context.close()


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_story_list_is_readable_at_desktop_and_tablet_widths(
    live_server, new_context, width, artifacts_dir
):
    """Issue 14: at 1,280 px titles wrapped onto five lines and pushed the last columns off
    screen. Every column's header is on screen at 1,280 px, a long title takes at most two
    lines; on a tablet the table scrolls within the list, not the page."""
    factories.user("editor", group="Editors")
    cities = [factories.city(name) for name in ("Florence", "Turin", "Palermo", "Bologna")]
    performers = [factories.performer(f"Performer number {n} of a long list") for n in range(4)]
    for number in range(5):
        factories.story(
            "Neighbours across the whole courtyard give a long concert from their balconies "
            f"and windows, with songs, instruments and applause, evening {number}",
            cities=cities,
            performers=performers,
        )
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/stories/story/")
    page.screenshot(path=str(artifacts_dir / f"admin-story-list-{width}.png"), full_page=True)
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.field-title a')).lineHeight)"
    )
    title = page.locator(".field-title a").first.bounding_box()
    assert title["height"] <= 2 * line + 1
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, "the page scrolls sideways"
    if width == 1280:
        shown = page.locator("#changelist .results").bounding_box()
        for column in ("performer_names", "post_count", "published_on"):
            box = page.locator(f"th.column-{column}").bounding_box()
            right = box["x"] + box["width"]
            assert right <= shown["x"] + shown["width"] + 1, f"{column} is cut off"
