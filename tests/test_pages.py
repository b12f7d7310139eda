import datetime

import pytest
from django.urls import reverse

from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db


def test_home_lists_published_stories_newest_event_first(client):
    factories.story("Turin concert", day=datetime.date(2020, 3, 13))
    factories.story("Florence aria", day=datetime.date(2020, 3, 14))
    html = client.get(reverse("stories:home")).content.decode()
    assert html.index("Florence aria") < html.index("Turin concert")


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN]
)
def test_unpublished_story_is_not_on_the_home_page(client, status):
    factories.story("Visible story")
    factories.story("Hidden story", status=status)
    html = client.get(reverse("stories:home")).content.decode()
    assert "Visible story" in html
    assert "Hidden story" not in html


@pytest.mark.parametrize("status", [Story.Status.DRAFT, Story.Status.IN_REVIEW])
def test_unpublished_story_page_gives_404(client, status):
    story = factories.story("Hidden story", status=status)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_story_page_shows_places_performers_and_posts(client):
    story = factories.story(
        "Nessun Dorma from a balcony",
        day=datetime.date(2020, 3, 14),
        cities=[factories.city("Florence")],
        performers=[factories.performer("Maurizio Marchini", role="tenor")],
    )
    factories.post(
        story,
        author_name="Muhammad Lila",
        handle="MuhammadLila",
        posted_on=datetime.date(2020, 3, 14),
        text="So climbed on to his balcony and serenaded the entire town.",
    )
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Florence" in html
    assert "Maurizio Marchini" in html
    assert "@MuhammadLila" in html
    assert "serenaded the entire town" in html
    assert "14 March 2020" in html


def test_story_without_place_or_date_says_so(client):
    story = factories.story("A trainer brings his complex together")
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Place unknown" in html
    assert "Date unknown" in html


def test_post_text_is_shown_as_text_not_html(client):
    story = factories.story()
    factories.post(story, text="<script>alert(1)</script>")
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
