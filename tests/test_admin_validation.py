"""Validation with messages a curator understands, on the models the admin forms check."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from stories.models import LinkedPost, SourceArticle, Story
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db


def errors(obj):
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


def test_a_post_url_already_in_the_archive_names_the_story_that_has_it():
    factories.post(factories.story("Nessun Dorma in Florence"), url="https://twitter.com/a/1")
    duplicate = LinkedPost(story=factories.story("Another"), url="https://twitter.com/a/1")
    assert errors(duplicate)["url"] == [
        "This post is already in the archive, in the story “Nessun Dorma in Florence”."
    ]


def test_the_admin_shows_the_duplicate_url_message_on_the_inline(admin_client):
    factories.post(factories.story("Nessun Dorma in Florence"), url="https://twitter.com/a/1")
    story = factories.story("Another", status=Story.Status.DRAFT)
    data = story_form(
        story,
        **{
            "posts-TOTAL_FORMS": "1",
            "posts-0-position": "1",
            "posts-0-url": "https://twitter.com/a/1",
        },
    )
    response = admin_client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 200
    assert "already in the archive, in the story “Nessun Dorma in Florence”" in response.text


def test_the_handle_is_stored_without_the_at_sign():
    post = LinkedPost(story=factories.story(), handle=" @MuhammadLila")
    post.full_clean()
    assert post.handle == "MuhammadLila"


def test_the_platform_is_derived_from_the_url():
    post = LinkedPost(story=factories.story(), url="https://x.com/dschmudde/status/1")
    post.full_clean()
    assert post.platform == LinkedPost.Platform.TWITTER


def test_a_platform_that_contradicts_the_url_is_refused():
    post = LinkedPost(
        story=factories.story(),
        url="https://twitter.com/a/1",
        platform=LinkedPost.Platform.FACEBOOK,
    )
    assert "choose Twitter" in errors(post)["platform"][0]


def test_the_posted_date_cannot_be_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    post = LinkedPost(story=factories.story(), posted_on=tomorrow)
    assert errors(post)["posted_on"] == ["The posted date cannot be in the future."]


@pytest.mark.parametrize(
    "url", ["ftp://example.org/post", "javascript:alert(1)", "data:text/html,hi"]
)
def test_only_http_and_https_post_urls_are_accepted(url):
    post = LinkedPost(story=factories.story(), url=url)
    assert "url" in errors(post)


def test_only_http_and_https_media_and_source_urls_are_accepted():
    post = LinkedPost(story=factories.story(), media_url="ftp://example.org/pic")
    assert "media_url" in errors(post)
    source = SourceArticle(slug="s", url="ftp://example.org/article")
    assert "url" in errors(source)


def test_the_end_date_before_the_start_date_is_refused_on_the_end_date():
    story = Story(
        title="Backwards",
        slug="backwards",
        start_date=datetime.date(2020, 3, 15),
        end_date=datetime.date(2020, 3, 14),
    )
    assert errors(story) == {"end_date": ["The end date cannot be before the start date."]}


def test_a_start_date_alone_means_a_single_day():
    story = Story(title="One day", slug="one-day", start_date=datetime.date(2020, 3, 14))
    story.full_clean()
    assert story.end_date == datetime.date(2020, 3, 14)
