"""Sources named for what they are (issue 13): never "Untitled", the archived text a click
away on the story page."""

import datetime

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2020, 3, 16)


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"published_on": DAY}, "A news article of 16 March 2020"),
        ({"published_on": None}, "A news article, date unknown"),
        (
            {"outlet": "la Repubblica", "published_on": DAY},
            "An article in la Repubblica of 16 March 2020",
        ),
        ({"outlet": "la Repubblica", "published_on": None}, "An article in la Repubblica"),
        (
            {"title": "Italians sing from balconies", "published_on": DAY},
            "Italians sing from balconies (16 March 2020)",
        ),
        (
            {"title": "Italians sing from balconies", "published_on": None},
            "Italians sing from balconies",
        ),
    ],
)
def test_a_source_is_named_for_what_is_known_of_it(fields, shown):
    assert str(factories.source(**fields)) == shown


def test_the_story_page_names_an_untitled_source_and_keeps_its_text_a_click_away(client):
    source = factories.source(published_on=DAY, excerpt="Neighbours applauded at 8 pm.")
    factories.story("Applause", slug="applause", sources=[source])
    page = client.get("/stories/applause/").content.decode()
    assert "A news article of 16 March 2020" in page
    assert "Untitled" not in page
    assert (
        '<details class="source-text"><summary>The article\'s text, as archived</summary>'
        "<p>Neighbours applauded at 8 pm.</p></details>"
    ) in page
