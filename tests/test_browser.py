"""A visitor in a real browser: Debian's Chromium driven by Playwright."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_filters_to_florence_then_to_13_march(live_server, page, artifacts_dir):
    factories.seed_like()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Browse and filter all stories").click()
    # Until the list has loaded, its filters.js (which leaves empty fields out of the address)
    # may not be running yet.
    page.wait_for_url(live_server.url + "/stories/")

    page.get_by_label("City", exact=True).fill("florence")
    page.get_by_role("button", name="Show stories").click()
    expect(page).to_have_url(live_server.url + "/stories/?city=florence")
    results = page.locator("section.results")
    expect(results.get_by_role("link", name="Maurizio Marchini sings")).to_be_visible()
    expect(results).not_to_contain_text("Turin")
    page.screenshot(path=artifacts_dir / "story-list-florence.png", full_page=True)

    results.get_by_role("link", name="Maurizio Marchini sings").click()
    card = page.locator("article.post-card")
    expect(card).to_contain_text("Muhammad Lila")
    expect(card).to_contain_text("@MuhammadLila")
    expect(card).to_contain_text("14 March 2020")
    expect(card.get_by_role("link", name="https://pic.twitter.com/yVgADAU9bt")).to_be_visible()
    page.screenshot(path=artifacts_dir / "story-florence.png", full_page=True)

    page.go_back()
    page.get_by_role("link", name="City: Florence").click()
    # The chip leads to a page with the same form: filled before it loads, the old page's form
    # would be the one sent.
    page.wait_for_url(live_server.url + "/stories/")
    page.get_by_label("From").fill("2020-03-13")
    page.get_by_label("Until").fill("2020-03-13")
    page.get_by_role("button", name="Show stories").click()
    expect(page.get_by_role("status")).to_have_text("1 story matches these filters.")
    results = page.locator("section.results")
    expect(results.locator("li.story-card")).to_have_count(1)
    expect(results).to_contain_text("Turin")
    page.screenshot(path=artifacts_dir / "story-list-13-march.png", full_page=True)


def test_visitor_removes_a_filter_with_its_facet_link(live_server, page):
    factories.seed_like()
    page.goto(live_server.url + "/stories/?kind=music")
    expect(page.locator("li.story-card")).to_have_count(2)
    page.locator("#facet-kind + ul").get_by_role("link", name="Music").click()
    expect(page.locator("li.story-card")).to_have_count(6)


def test_bad_filter_shows_the_form_with_the_field_named(live_server, page):
    response = page.goto(live_server.url + "/stories/?date_after=2020-13-45")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("From")
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")
