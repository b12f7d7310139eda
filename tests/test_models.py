import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stories.models import (
    City,
    Country,
    LinkedPost,
    Performer,
    Region,
    Story,
    platform_from_url,
    story_country_pairs,
)
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


# The query vocabulary: each method keeps what it names and drops the rest. --------------

MARCH_1 = datetime.date(2020, 3, 1)
MARCH_31 = datetime.date(2020, 3, 31)


def titles(queryset):
    return sorted(story.title for story in queryset)


def test_in_countries_finds_stories_through_a_city_a_region_or_the_country():
    italy, spain = factories.country("IT", "Italy"), factories.country("ES", "Spain")
    factories.story("By city", cities=[factories.city("Florence", "IT")])
    factories.story("By region", regions=[factories.region("Sicily", "IT")])
    factories.story("By country", countries=[italy])
    factories.story("Elsewhere", cities=[factories.city("Madrid", "ES")])
    factories.story("Nowhere")
    assert titles(Story.objects.in_countries([italy])) == ["By city", "By country", "By region"]
    assert titles(Story.objects.in_countries([spain])) == ["Elsewhere"]


def test_in_countries_lists_a_story_in_two_of_its_cities_once():
    cities = [factories.city("Florence", "IT"), factories.city("Turin", "IT")]
    factories.story("Two cities", cities=cities, regions=[factories.region("Sicily", "IT")])
    assert titles(Story.objects.in_countries(Country.objects.filter(code="IT"))) == ["Two cities"]


def test_in_cities_keeps_stories_in_any_of_the_cities():
    florence, turin, palermo = (factories.city(name) for name in ("Florence", "Turin", "Palermo"))
    factories.story("Florence", cities=[florence])
    factories.story("Both", cities=[florence, turin])
    factories.story("Palermo", cities=[palermo])
    assert titles(Story.objects.in_cities([florence, turin])) == ["Both", "Florence"]


def test_by_performers_keeps_stories_naming_the_performer():
    singer = factories.performer("Maurizio Marchini")
    factories.story("Sung", performers=[singer])
    factories.story("Danced", performers=[factories.performer("Someone Else")])
    assert titles(Story.objects.by_performers([singer])) == ["Sung"]


def test_on_platform_keeps_stories_with_a_post_there():
    factories.post(factories.story("Tweeted"), url="https://twitter.com/a/status/1")
    factories.post(factories.story("On YouTube"), url="https://youtu.be/abc")
    assert titles(Story.objects.on_platform(LinkedPost.Platform.TWITTER)) == ["Tweeted"]


@pytest.fixture
def dated_stories():
    factories.story("Single day", day=MARCH_13)
    factories.story("Two days", start=MARCH_13, end=MARCH_14)
    factories.story("Spanning March", start=datetime.date(2020, 2, 20), end=MARCH_31)
    factories.story("April", day=datetime.date(2020, 4, 2))
    factories.story("Undated")


def test_covering_a_day_keeps_the_stories_under_way_that_day(dated_stories):
    kept = titles(Story.objects.covering(MARCH_14, MARCH_14))
    assert kept == ["Spanning March", "Two days"]


def test_covering_a_range_keeps_the_stories_that_overlap_it(dated_stories):
    kept = titles(Story.objects.covering(datetime.date(2020, 3, 14), datetime.date(2020, 4, 1)))
    assert kept == ["Spanning March", "Two days"]


def test_covering_with_an_open_end_keeps_every_later_dated_story(dated_stories):
    assert titles(Story.objects.covering(first=MARCH_14)) == ["April", "Spanning March", "Two days"]
    assert titles(Story.objects.covering(last=MARCH_1)) == ["Spanning March"]


def test_newest_first_puts_undated_stories_last_and_breaks_ties_by_title(dated_stories):
    factories.story("Another single day", day=MARCH_13)
    order = [story.title for story in Story.objects.newest_first()]
    assert order == [
        "April",
        "Another single day",  # these three began on 13 March: by title
        "Single day",
        "Two days",
        "Spanning March",
        "Undated",
    ]


def test_oldest_first_also_puts_undated_stories_last(dated_stories):
    order = [story.title for story in Story.objects.oldest_first()]
    assert order[0] == "Spanning March" and order[-1] == "Undated"


def test_for_listing_reads_every_card_without_a_query_per_story(django_assert_num_queries):
    """A card names a story's cities, else its regions, else its countries: the stories,
    then the cities of all, the regions of those without cities, the countries of those
    with neither (no query for a kind no story is left to need)."""
    rome, lazio, italy = factories.city("Rome"), factories.region("Lazio"), factories.country()
    factories.story("Everywhere", cities=[rome, factories.city("Ancona")], regions=[lazio])
    factories.story("A region", regions=[lazio], countries=[italy])
    factories.story("A country", countries=[italy])
    factories.story("Nowhere")
    with django_assert_num_queries(4):
        places = {story.title: story.card_places for story in Story.objects.for_listing()}
    assert places == {
        "Everywhere": [("Ancona", "/cities/ancona/"), ("Rome", "/cities/rome/")],
        "A region": [("Lazio", "/regions/lazio/")],
        "A country": [(italy.name, None)],
        "Nowhere": [],
    }
    with django_assert_num_queries(2):  # (every story in a city: the regions are not read)
        list(Story.objects.filter(title="Everywhere").for_listing())


def test_deletable_keeps_only_stories_never_published():
    factories.story("Draft", status=Story.Status.DRAFT)
    factories.story("In review", status=Story.Status.IN_REVIEW)
    factories.story("Published")
    factories.story("Withdrawn", status=Story.Status.WITHDRAWN)
    reopened = factories.story("Reopened", status=Story.Status.DRAFT)
    reopened.published_at = timezone.now()  # published once, then reopened as a draft
    reopened.save()
    assert titles(Story.objects.deletable()) == ["Draft", "In review"]
    assert titles(Story.objects.kept_forever()) == ["Published", "Reopened", "Withdrawn"]


def test_a_city_is_visible_only_with_a_published_story():
    florence, turin = factories.city("Florence"), factories.city("Turin")
    factories.city("Palermo")
    factories.story("Public", cities=[florence])
    factories.story("Draft", cities=[turin], status=Story.Status.DRAFT)
    assert [city.name for city in City.objects.visible()] == ["Florence"]


def test_with_story_counts_of_published_stories_are_the_visible_cities():
    florence, turin = factories.city("Florence"), factories.city("Turin")
    factories.story("One", cities=[florence, turin])
    factories.story("Two", cities=[florence])
    factories.story("Draft", cities=[florence, factories.city("Palermo")], status="draft")
    counted = City.objects.with_story_counts(Story.objects.published())
    assert {(city.name, city.story_count) for city in counted} == {("Florence", 2), ("Turin", 1)}
    assert set(counted) == set(City.objects.visible())


def test_a_region_is_visible_through_a_published_story_or_one_of_its_cities():
    sicily, tuscany = factories.region("Sicily"), factories.region("Tuscany")
    factories.region("Andalusia", "ES")
    factories.story("In Sicily", regions=[sicily])
    factories.story("In Florence", cities=[factories.city("Florence", region=tuscany)])
    factories.story("Draft", regions=[factories.region("Lazio")], status="draft")
    assert [region.name for region in Region.objects.visible()] == ["Sicily", "Tuscany"]


def test_a_country_is_visible_through_a_published_storys_city_region_or_itself():
    factories.story("By city", cities=[factories.city("Madrid", "ES")])
    factories.story("By region", regions=[factories.region("Sicily", "IT")])
    factories.story("By country", countries=[factories.country("FR")])
    factories.story("Draft", countries=[factories.country("DE")], status="draft")
    factories.country("PT")
    assert sorted(c.code for c in Country.objects.visible()) == ["ES", "FR", "IT"]


def test_a_performer_is_visible_only_with_a_published_story():
    factories.story("Public", performers=[factories.performer("Sung")])
    factories.story("Draft", performers=[factories.performer("Hidden")], status="draft")
    factories.performer("Nobody")
    assert [p.name for p in Performer.objects.visible()] == ["Sung"]


def test_story_country_pairs_follow_the_same_paths_as_in_countries():
    italy = factories.country("IT")
    story = factories.story(
        "Everywhere in Italy",
        cities=[factories.city("Florence", "IT")],
        regions=[factories.region("Sicily", "IT")],
        countries=[italy],
    )
    assert sorted(story_country_pairs()) == [(story.pk, italy.pk)] * 3


# Dates fall between 1 January 2019 and 31 December 2099 (migration 0010).
DATE_RANGE_ERROR = "Dates must fall between 1 January 2019 and 31 December 2099."


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(9999, 12, 31), datetime.date(9999, 12, 31)),
        (datetime.date.min, datetime.date.min),
        (datetime.date(2018, 12, 31), MARCH_13),
        (MARCH_13, datetime.date(2100, 1, 1)),
    ],
    ids=str,
)
def test_story_dated_outside_the_archives_range_is_refused_by_a_named_constraint(start, end):
    with pytest.raises(IntegrityError, match="stories_story_dates_in_range"), transaction.atomic():
        factories.story(start=start, end=end)


@pytest.mark.parametrize(
    "day", [datetime.date(2018, 12, 31), datetime.date(2100, 1, 1), datetime.date.max], ids=str
)
def test_post_dated_outside_the_archives_range_is_refused_by_a_named_constraint(day):
    story = factories.story(day=MARCH_13)
    with pytest.raises(IntegrityError, match="stories_post_date_in_range"), transaction.atomic():
        factories.post(story, posted_on=day)


def test_the_archives_first_and_last_days_are_accepted():
    story = factories.story(start=datetime.date(2019, 1, 1), end=datetime.date(2099, 12, 31))
    story.full_clean()
    factories.post(story, posted_on=datetime.date(2019, 1, 1)).full_clean()


def test_story_date_outside_the_range_is_named_in_words_for_the_curator():
    story = Story(title="A story", slug="a-story", start_date=datetime.date(9999, 12, 31))
    with pytest.raises(ValidationError) as caught:
        story.full_clean()
    assert caught.value.message_dict["start_date"] == [DATE_RANGE_ERROR]


def test_post_date_outside_the_range_is_named_in_words_for_the_curator():
    story = factories.story(day=MARCH_13)
    post = LinkedPost(story=story, posted_on=datetime.date(2018, 3, 13))
    with pytest.raises(ValidationError) as caught:
        post.full_clean()
    assert caught.value.message_dict["posted_on"] == [DATE_RANGE_ERROR]


def test_admin_shows_the_date_range_error_on_the_date(editor_client):
    from django.urls import reverse

    story = factories.story(day=MARCH_13, status=Story.Status.DRAFT)
    data = factories.story_form(story, start_date="9999-12-31", end_date="9999-12-31")
    response = editor_client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 200
    assert DATE_RANGE_ERROR in response.text
    story.refresh_from_db()
    assert story.start_date == MARCH_13


def test_synthetic_archive_stays_within_the_date_range():
    from stories.interchange import synthetic
    from stories.models import FIRST_DAY, LAST_DAY

    assert FIRST_DAY <= synthetic.FIRST_DAY <= synthetic.LAST_DAY <= LAST_DAY
