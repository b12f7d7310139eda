"""Withdrawn stories answer 410 and leave every public page; drafts are previews for staff."""

import pytest
from django.urls import reverse

from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

Status = Story.Status


@pytest.fixture
def withdrawn():
    return factories.story(
        "Withdrawn aria",
        status=Status.WITHDRAWN,
        cities=[factories.city("Florence")],
        performers=[factories.performer("Maurizio Marchini")],
    )


def test_withdrawn_story_url_answers_410_with_a_notice(client, withdrawn):
    response = client.get(withdrawn.get_absolute_url())
    assert response.status_code == 410
    assert "This story has been withdrawn" in response.text
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_is_gone_for_staff_too(admin_client, withdrawn):
    assert admin_client.get(withdrawn.get_absolute_url()).status_code == 410


def test_withdrawn_story_leaves_the_home_page(client, withdrawn):
    factories.story("Still public")
    response = client.get(reverse("browse:home"))
    assert "Still public" in response.text
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_leaves_its_city_page(client, withdrawn):
    response = client.get(reverse("browse:city", args=["florence"]))
    assert response.status_code == 200
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_leaves_its_performer_page(client, withdrawn):
    response = client.get(reverse("browse:performer", args=["maurizio-marchini"]))
    assert response.status_code == 200
    assert "Withdrawn aria" not in response.text


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_staff_can_preview_an_unpublished_story(client, status):
    story = factories.story("Not yet public", status=status)
    client.force_login(factories.user("contributor", group="Contributors"))
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in response.text
    assert "Not yet public" in response.text
    assert "no-cache" in response["Cache-Control"]


def test_anonymous_visitor_gets_404_for_a_draft(client):
    story = factories.story("Not yet public", status=Status.DRAFT)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_logged_in_non_staff_user_gets_404_for_a_draft(client):
    story = factories.story("Not yet public", status=Status.DRAFT)
    client.force_login(factories.user("reader", is_staff=False))
    assert client.get(story.get_absolute_url()).status_code == 404


def test_unknown_story_gives_404(client):
    assert client.get(reverse("browse:story", args=["no-such-story"])).status_code == 404


def test_published_story_page_does_not_vary_on_the_cookie(client):
    story = factories.story("Public")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


def test_withdrawn_story_notice_does_not_vary_on_the_cookie(client, withdrawn):
    assert "Cookie" not in client.get(withdrawn.get_absolute_url()).get("Vary", "")


def test_published_story_without_date_or_place_says_they_are_unknown(client):
    story = factories.story("The rooftop trainer")
    response = client.get(story.get_absolute_url())
    assert "Date unknown" in response.text
    assert "Place unknown" in response.text


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN])
def test_unpublished_story_is_not_on_the_home_page(client, status):
    factories.story("Visible story")
    factories.story("Hidden story", status=status)
    html = client.get(reverse("browse:home")).content.decode()
    assert "Visible story" in html
    assert "Hidden story" not in html


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_unpublished_story_page_gives_404_to_visitors(client, status):
    story = factories.story("Hidden story", status=status)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_staff_preview_is_never_cached(admin_client):
    story = factories.story("Draft aria", status=Status.DRAFT)
    response = admin_client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
