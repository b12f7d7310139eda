import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stories.models import City, LinkedPost, Story, platform_from_url
from tests import factories

pytestmark = pytest.mark.django_db

MARCH_13 = datetime.date(2020, 3, 13)
MARCH_14 = datetime.date(2020, 3, 14)


def test_end_date_before_start_date_is_rejected_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.story(start=MARCH_14, end=MARCH_13)


def test_end_date_before_start_date_is_explained_by_validation():
    story = Story(title="Backwards", slug="backwards", start_date=MARCH_14, end_date=MARCH_13)
    with pytest.raises(ValidationError, match="end date cannot be before the start date"):
        story.full_clean()


def test_start_date_without_end_date_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.story(start=MARCH_14, end=None)


def test_story_without_any_date_is_allowed():
    story = factories.story(title="Undated")
    story.full_clean()
    assert Story.objects.get(start_date__isnull=True, end_date__isnull=True) == story


def test_duplicate_post_url_is_rejected():
    story = factories.story()
    factories.post(story, url="https://twitter.com/a/status/1")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.post(story, url="https://twitter.com/a/status/1")


def test_posts_without_a_url_do_not_collide():
    story = factories.story()
    factories.post(story, url="")
    factories.post(story, url="")
    assert story.posts.count() == 2


def test_duplicate_story_slug_is_rejected():
    factories.story(slug="nessun-dorma")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.story(slug="nessun-dorma")


def test_duplicate_city_slug_is_rejected():
    factories.city("Florence", "IT")
    with pytest.raises(IntegrityError), transaction.atomic():
        City.objects.create(name="Florence", slug="florence", country=factories.country("US"))
    # The first Florence is kept as it was, and the second is not stored.
    assert list(City.objects.values_list("slug", "country__code")) == [("florence", "IT")]


def test_published_story_needs_a_publication_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.create(title="T", slug="t", status=Story.Status.PUBLISHED)


def test_normalise_strips_the_at_sign_and_spaces_from_the_handle():
    post = LinkedPost(handle=" @MuhammadLila ")
    post.normalise()
    assert post.handle == "MuhammadLila"


def test_normalise_derives_the_platform_from_the_media_link_when_there_is_no_url():
    post = LinkedPost(media_url="https://pic.twitter.com/yVgADAU9bt")
    post.normalise()
    assert post.platform == LinkedPost.Platform.TWITTER


def test_normalise_keeps_a_platform_given():
    post = LinkedPost(url="https://example.org/post", platform=LinkedPost.Platform.OTHER)
    post.normalise()
    assert post.platform == LinkedPost.Platform.OTHER


def test_handle_starting_with_at_sign_is_rejected_by_the_database():
    story = factories.story()
    with (
        pytest.raises(IntegrityError, match="stories_post_handle_without_at"),
        transaction.atomic(),
    ):
        LinkedPost.objects.create(story=story, handle="@MuhammadLila")
    assert not LinkedPost.objects.exists()


def test_handle_starting_with_at_sign_is_explained_by_validation():
    post = LinkedPost(story=factories.story(), handle="@@MuhammadLila")
    with pytest.raises(ValidationError, match="Give the handle without the “@”"):
        post.full_clean()


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://twitter.com/dschmudde/status/1", "twitter"),
        ("https://x.com/a/status/2", "twitter"),
        ("https://www.facebook.com/watch/?v=1", "facebook"),
        ("https://youtu.be/abc", "youtube"),
        ("https://example.org/post", ""),
        ("not a url", ""),
    ],
)
def test_platform_from_url(url, platform):
    assert platform_from_url(url) == platform


def test_published_is_the_only_public_set():
    kept = factories.story("Kept", status=Story.Status.PUBLISHED)
    for status in (Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN):
        factories.story(str(status), status=status)
    assert list(Story.objects.published()) == [kept]
