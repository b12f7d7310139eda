"""A visitor on a phone (390 x 844, as an iPhone 12 to 15 shows pages) in Chromium: the
list's results come first, the timeline and the map are legible and can be tapped.
Screenshots go to artifacts/ (CI keeps them)."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SMALLEST_TARGET = 24  # CSS pixels: WCAG 2.2's minimum target size (2.5.8)
SMALLEST_TEXT = 12  # CSS pixels


@pytest.fixture
def archive(live_server):
    factories.seed_like()
    return live_server.url


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def phone(request, new_context):
    return new_context(viewport=PHONE, java_script_enabled=request.param).new_page()


def test_phone_list_shows_the_first_story_on_the_first_screen(archive, phone, artifacts_dir):
    phone.goto(archive + "/stories/")
    first = phone.locator("li.story-card").first
    expect(first).to_be_in_viewport()
    assert first.bounding_box()["y"] + 60 < PHONE["height"]
    expect(phone.locator("form.filters")).to_be_hidden()
    phone.screenshot(path=artifacts_dir / "phone-list.png", full_page=True)


def test_phone_filters_open_with_one_tap_and_work(archive, phone, artifacts_dir):
    phone.goto(archive + "/stories/")
    phone.get_by_text("Filter the stories", exact=True).first.click()
    expect(phone.locator("form.filters")).to_be_visible()
    phone.screenshot(path=artifacts_dir / "phone-list-filters.png", full_page=True)
    phone.get_by_label("Kind of act").select_option("music")
    phone.get_by_role("button", name="Show stories").click()
    expect(phone.get_by_role("status")).to_have_text("2 stories match these filters.")
    # The page of results comes back with the form closed, saying how many filters are on.
    expect(phone.locator("form.filters")).to_be_hidden()
    expect(phone.locator("details.filter-panel summary")).to_have_text(
        "Filter the stories (1 in use)"
    )


def test_phone_facets_are_one_tap_away(archive, phone):
    phone.goto(archive + "/stories/")
    facets = phone.get_by_role("heading", name="Narrow down")
    expect(facets).not_to_be_in_viewport()
    phone.get_by_role(
        "link", name="Narrow down: the counts by kind, country, city and more"
    ).click()
    expect(facets).to_be_in_viewport()


def test_phone_list_shows_the_form_open_when_a_filter_needs_correcting(archive, phone):
    response = phone.goto(archive + "/stories/?date_after=2020-13-45")
    assert response.status == 400
    expect(phone.get_by_label("From")).to_be_visible()


def test_desktop_list_shows_the_filters_beside_the_results(archive, new_context):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(archive + "/stories/")
    expect(page.locator("form.filters")).to_be_visible()
    expect(page.locator("details.filter-panel summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Narrow down: the counts")).to_be_hidden()
    form, results = page.locator("form.filters"), page.locator("section.results")
    assert form.bounding_box()["x"] < results.bounding_box()["x"]


def font_size(locator):
    return float(locator.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))


def test_phone_timeline_is_a_list_of_days_to_tap(archive, phone, artifacts_dir):
    phone.goto(archive + "/timeline/")
    expect(phone.locator("svg.timeline")).to_be_hidden()
    rows = phone.locator("ol.timeline-list li")
    expect(rows).to_have_count(15)
    day = phone.get_by_role("link", name="14 March 2020 3 stories")
    box = day.bounding_box()
    assert box["height"] >= SMALLEST_TARGET
    assert box["width"] >= PHONE["width"] * 0.8
    assert font_size(day) >= SMALLEST_TEXT
    phone.screenshot(path=artifacts_dir / "phone-timeline.png", full_page=True)
    day.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("14 March 2020")


def test_desktop_timeline_is_the_chart(archive, new_context):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(archive + "/timeline/")
    expect(page.locator("svg.timeline")).to_be_visible()
    expect(page.locator("ol.timeline-list")).to_be_hidden()


def test_phone_map_labels_are_legible_and_points_can_be_tapped(archive, phone, artifacts_dir):
    phone.goto(archive + "/map/")
    drawing = phone.locator("svg.world.phone")
    expect(drawing).to_be_visible()
    expect(phone.locator("svg.world.wide")).to_be_hidden()
    assert drawing.bounding_box()["height"] > drawing.bounding_box()["width"]
    for label in drawing.locator("text").all():
        assert label.bounding_box()["height"] >= SMALLEST_TEXT, label.text_content()
    points = drawing.get_by_role("link")
    expect(points).to_have_count(5)
    for point in points.all():
        box = point.bounding_box()
        assert min(box["width"], box["height"]) >= SMALLEST_TARGET, point.get_attribute("href")
    phone.screenshot(path=artifacts_dir / "phone-map.png", full_page=True)
    # A tap a few pixels off Palermo's point still reaches Palermo.
    palermo = drawing.get_by_role("link", name="Palermo, Italy: 1 story")
    circle = palermo.locator("circle:not(.hit)").bounding_box()
    phone.mouse.click(circle["x"] + circle["width"] / 2 + 9, circle["y"] + circle["height"] / 2 + 2)
    expect(phone).to_have_url(archive + "/cities/palermo/")


def test_desktop_map_is_the_wide_drawing(archive, new_context):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(archive + "/map/")
    expect(page.locator("svg.world.wide")).to_be_visible()
    expect(page.locator("svg.world.phone")).to_be_hidden()
