"""The three dates of a story kept apart (docs/preservation.md, "Three dates"): when it
happened, when it was posted, when the archive captured it. Filtering by each in the list,
the API and the downloads; what the story page and the records say; the curators' mark of
inferred dates in the admin."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from preservation import files
from preservation.models import ArchivedCopy
from stories.models import Story
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db

day = datetime.date


def at(year, month, date, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, date, hour), datetime.UTC)


def captured(post, when, hidden=False):
    copy = files.new_copy(
        post,
        kind="capture",
        data=f"WARC/1.1 {post.pk} {when.isoformat()}".encode(),
        media_type="application/warc",
        original_url=post.url,
        captured_by="capture_posts",
        captured_at=when,
    )
    if hidden:
        copy.hidden, copy.hidden_reason = True, "A takedown request."
        copy.save(update_fields=["hidden", "hidden_reason"])
    return copy


@pytest.fixture
def archive():
    """Stories that all happened on 14 March 2020, posted and captured on other days."""

    def story(slug, posted, status=Story.Status.PUBLISHED):
        found = factories.story(slug.title(), slug=slug, day=day(2020, 3, 14), status=status)
        factories.post(found, url=f"https://twitter.com/{slug}/status/1", posted_on=posted)
        return found

    early = story("early", day(2020, 3, 14))
    late = story("late", day(2020, 4, 2))
    undated = story("undated", None)
    # Two posts, on 1 and 31 March: none of them in 10 to 20 March.
    apart = story("apart", day(2020, 3, 1))
    factories.post(apart, url="https://twitter.com/apart/status/2", posted_on=day(2020, 3, 31))
    captured(early.posts.get(), at(2020, 3, 20, 9))
    captured(early.posts.get(), at(2020, 3, 20, 23))  # (two copies: the story once)
    captured(late.posts.get(), at(2021, 1, 5, 0))
    # Not for the public: a hidden copy of a published story, a draft's post and copy.
    hidden = story("hidden", day(2020, 5, 5))
    captured(hidden.posts.get(), at(2022, 2, 2), hidden=True)
    draft = story("draft", day(2020, 6, 6), status=Story.Status.DRAFT)
    captured(draft.posts.get(), at(2022, 3, 3))
    return {"early": early, "late": late, "undated": undated, "apart": apart}


def listed(client, query):
    """The slugs of the stories the list shows for `query`."""
    response = client.get(reverse("browse:list") + "?" + query)
    assert response.status_code == 200
    return {story.slug for story in response.context["stories"]}


def api_slugs(client, query):
    response = client.get(reverse("opendata:api-stories") + "?" + query)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"])
    return {story["slug"] for story in body["results"]}


def csv_rows(client, query=""):
    response = client.get(reverse("opendata:stories-csv") + "?" + query)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


FILTERED = [
    ("posted_after=2020-04-01", {"late", "hidden"}),
    ("posted_before=2020-03-14", {"early", "apart"}),
    ("posted_after=2020-03-14&posted_before=2020-03-14", {"early"}),
    # One post within both bounds: the story posted on 1 and 31 March is not kept.
    ("posted_after=2020-03-10&posted_before=2020-03-20", {"early"}),
    # A day in UTC, from its first moment to its last.
    ("captured_after=2020-03-20&captured_before=2020-03-20", {"early"}),
    ("captured_after=2020-03-21", {"late"}),
    ("captured_before=2021-01-05", {"early", "late"}),
    ("captured_after=2021-01-06", set()),
    ("posted_after=2020-04-01&captured_after=2020-03-01", {"late"}),
    # The calendar's ends are valid days, and filter as asked.
    ("captured_after=0001-01-01&captured_before=9999-12-31", {"early", "late"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTERED)
def test_the_list_keeps_exactly_the_stories_posted_or_captured_in_the_range(
    client, archive, query, expected
):
    assert listed(client, query) == expected


@pytest.mark.parametrize(("query", "expected"), FILTERED)
def test_the_api_keeps_exactly_the_stories_posted_or_captured_in_the_range(
    client, archive, query, expected
):
    assert api_slugs(client, query) == expected


@pytest.mark.parametrize(("query", "expected"), FILTERED)
def test_the_csv_keeps_exactly_the_stories_posted_or_captured_in_the_range(
    client, archive, query, expected
):
    assert {row["slug"] for row in csv_rows(client, query)} == expected


def test_the_list_names_the_date_filters_in_use(client, archive):
    page = client.get(
        reverse("browse:list") + "?posted_after=2020-04-01&captured_before=2021-01-05"
    )
    assert "Posted from 1 April 2020" in page.text
    assert "Captured until 5 January 2021" in page.text


@pytest.mark.parametrize(
    "name", ["posted_after", "posted_before", "captured_after", "captured_before"]
)
@pytest.mark.parametrize("value", ["2020-02-30", "yesterday", "10000-01-01"])
def test_a_bad_date_gives_400_naming_the_parameter(client, archive, name, value):
    query = f"?{name}={value}"
    page = client.get(reverse("browse:list") + query)
    assert page.status_code == 400
    assert f'id="error_{name}"' in page.text
    api = client.get(reverse("opendata:api-stories") + query)
    assert api.status_code == 400
    assert list(api.json()) == [name]
    download = client.get(reverse("opendata:stories-csv") + query)
    assert download.status_code == 400
    assert download.content.decode().startswith(f"{name}: ")


@pytest.mark.parametrize("prefix", ["posted", "captured"])
def test_a_range_that_ends_before_it_starts_gives_400_naming_its_end(client, archive, prefix):
    query = f"?{prefix}_after=2020-04-02&{prefix}_before=2020-04-01"
    api = client.get(reverse("opendata:api-stories") + query)
    assert api.status_code == 400
    assert api.json() == {f"{prefix}_before": ["The end of the range is before its start."]}
    assert client.get(reverse("browse:list") + query).status_code == 400


def test_an_empty_date_is_as_if_not_given(client, archive):
    assert listed(client, "posted_after=&captured_before=") == listed(client, "")


def test_the_api_schema_documents_the_date_parameters(client):
    schema = client.get(reverse("opendata:api-schema"), HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for name in ("posted_after", "posted_before", "captured_after", "captured_before"):
        assert f"name: {name}" in text or f'"name": "{name}"' in text


# What the records and the story page say of each date.


def test_the_csv_gives_each_posts_first_capture_in_the_order_of_the_posts(client, archive):
    rows = {row["slug"]: row for row in csv_rows(client)}
    assert rows["early"]["post_dates"] == "2020-03-14"
    assert rows["early"]["post_captured_at"] == "2020-03-20T09:00:00+00:00"
    assert rows["apart"]["post_captured_at"] == "\n"  # two posts, neither captured
    assert rows["hidden"]["post_captured_at"] == ""  # its only copy is hidden
    assert rows["early"]["dates_from"] == "source"


def test_the_api_gives_each_posts_public_copies_with_their_capture_times(client, archive):
    body = client.get(reverse("opendata:api-story", args=["early"])).json()
    assert body["start_date"] == "2020-03-14"
    assert body["dates_from"] == "source"
    [post] = body["posts"]
    assert post["posted_on"] == "2020-03-14"
    assert [copy["captured_at"] for copy in post["copies"]] == [
        "2020-03-20T09:00:00+00:00",
        "2020-03-20T23:00:00+00:00",
    ]
    first = ArchivedCopy.objects.filter(post__story=archive["early"]).order_by("captured_at")[0]
    assert post["copies"][0]["url"] == f"http://testserver/copies/{first.pk}/"
    hidden = client.get(reverse("opendata:api-story", args=["hidden"])).json()
    assert hidden["posts"][0]["copies"] == []


def test_the_story_page_labels_the_three_dates(client, archive):
    page = client.get(archive["early"].get_absolute_url()).text
    assert "When it happened" in page
    assert 'posted <time datetime="2020-03-14">14 March 2020</time>' in page
    assert 'captured <time datetime="2020-03-20">20 March 2020</time>' in page
    assert "inferred" not in page


def test_the_story_page_says_when_curators_inferred_the_date(client):
    story = factories.story(
        "A DJ in Sicily",
        day=day(2020, 3, 15),
        dates_from=Story.DateBasis.INFERRED,
        dates_note="The day of the post; its text says Saturday night.",
    )
    page = client.get(story.get_absolute_url()).text
    assert "date inferred by the archive’s curators" in page
    assert "Saturday night" not in page  # the curator's reasoning stays in the admin
    record = client.get(reverse("opendata:api-story", args=[story.slug])).json()
    assert record["dates_from"] == "inferred"


def test_the_seeds_sicily_story_is_marked_as_dated_by_a_curator(db):
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    sicily = Story.objects.get(slug="sicily-dj-party")
    assert sicily.dates_from == Story.DateBasis.INFERRED
    assert "Saturday night" in sicily.dates_note
    assert set(Story.objects.values_list("dates_from", flat=True)) == {"source", "inferred"}


# The curators' mark in the admin.


def test_the_admin_shows_and_saves_where_the_dates_come_from(admin_client):
    story = factories.story("Applause", day=day(2020, 3, 14), status=Story.Status.DRAFT)
    url = reverse("admin:stories_story_change", args=[story.pk])
    form = admin_client.get(url).text
    assert 'name="dates_from"' in form and 'name="dates_note"' in form
    assert "Inferred by a curator" in form
    data = story_form(story, dates_from="inferred", dates_note="From the post's date.")
    assert admin_client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert (story.dates_from, story.dates_note) == ("inferred", "From the post's date.")
    listing = admin_client.get(reverse("admin:stories_story_changelist")).text
    assert "14 Mar 2020 (inferred)" in listing


def test_the_admin_asks_how_inferred_dates_were_inferred(admin_client):
    story = factories.story("Applause", day=day(2020, 3, 14), status=Story.Status.DRAFT)
    url = reverse("admin:stories_story_change", args=[story.pk])
    response = admin_client.post(url, story_form(story, dates_from="inferred", dates_note=""))
    assert response.status_code == 200
    assert "Say how the dates were inferred." in response.text
    story.refresh_from_db()
    assert story.dates_from == "source"
