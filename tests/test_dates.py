"""Every page tolerates any date the database holds and any date a query string asks for.

Story and post dates are kept within the archive's range by named check constraints
(migration 0010, tests/test_models.py); a database written before them, or a restore, may
still hold a story on the first or last day of the calendar. `unchecked_dates` lets a test
write such a story, as that database could hold it, to show the pages cope.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from browse import timeline
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

FIRST = datetime.date.min  # 0001-01-01
LAST = datetime.date.max  # 9999-12-31
DATE_CONSTRAINTS = [
    ("stories_story", "stories_story_dates_in_range"),
    ("stories_linkedpost", "stories_post_date_in_range"),
]


@pytest.fixture
def unchecked_dates(db):
    """The date-range constraints out of the way, as before migration 0010, for this test
    only (the test's transaction rolls the change back on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            for table, name in DATE_CONSTRAINTS:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


@pytest.fixture
def calendar_ends(unchecked_dates):
    """Published stories on the calendar's first and last days, and an ordinary one."""
    florence = factories.city("Florence", latitude="43.77925", longitude="11.24626")
    stories = {
        "first": factories.story(
            "On the first day", slug="first-day", day=FIRST, cities=[florence]
        ),
        "last": factories.story("On the last day", slug="last-day", day=LAST, cities=[florence]),
        "ordinary": factories.story("In Florence", slug="ordinary", day=datetime.date(2020, 3, 14)),
    }
    factories.post(stories["last"], posted_on=LAST, text="A post on the last day")
    factories.post(stories["first"], posted_on=FIRST, text="A post on the first day")
    return stories


def test_timeline_shows_a_story_on_the_calendars_last_day(client, calendar_ends):
    response = client.get(reverse("browse:timeline"))
    assert response.status_code == 200
    assert "Friday 31 December 9999: 1 story" in response.text


def test_timeline_shows_a_story_on_the_calendars_first_day_within_a_date_range(
    client, calendar_ends
):
    response = client.get(reverse("browse:timeline"), {"date_before": "0001-12-31"})
    assert response.status_code == 200
    assert "Monday 1 January 0001: 1 story" in response.text


@pytest.mark.parametrize(
    "url",
    [
        reverse("browse:home"),
        reverse("browse:list"),
        reverse("browse:list") + "?sort=date",
        reverse("browse:list") + "?sort=title",
        reverse("browse:list") + "?date_after=9999-12-31",
        reverse("browse:list") + "?date_before=0001-01-01",
        reverse("browse:timeline") + "?date_after=9999-12-31",
        reverse("browse:map"),
        reverse("browse:map") + "?date_before=0001-01-01",
        reverse("browse:cities"),
        reverse("browse:city", args=["florence"]),
        reverse("browse:story", args=["first-day"]),
        reverse("browse:story", args=["last-day"]),
        "/on/0001-01-02/",
        "/on/9999-12-30/",
    ],
)
def test_public_page_shows_stories_on_the_calendars_ends(client, calendar_ends, url):
    assert client.get(url).status_code == 200


def test_story_page_gives_the_last_day_in_words(client, calendar_ends):
    response = client.get(reverse("browse:story", args=["last-day"]))
    assert '<time datetime="9999-12-31">31 December 9999</time>' in response.text


def test_day_before_the_last_links_to_the_last(client, calendar_ends):
    response = client.get("/on/9999-12-30/")
    assert 'href="/on/9999-12-31/"' in response.text


def test_day_after_the_first_links_back_to_the_first(client, calendar_ends):
    response = client.get("/on/0001-01-02/")
    assert 'href="/on/0001-01-01/"' in response.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_calendars_own_ends_have_no_day_page(client, calendar_ends, day):
    """Neither has a day on both sides to link to: not found, never a server error."""
    assert client.get(f"/on/{day}/").status_code == 404


@pytest.mark.parametrize("name", ["list", "timeline", "map"])
@pytest.mark.parametrize(
    "query", [{"date_after": "0001-01-01"}, {"date_before": "9999-12-31"}], ids=str
)
def test_filter_at_the_calendars_end_keeps_every_dated_story(client, name, query):
    factories.story("In Florence", slug="ordinary", day=datetime.date(2020, 3, 14))
    response = client.get(reverse(f"browse:{name}"), query)
    assert response.status_code == 200
    if name == "list":
        assert "In Florence" in response.text


@pytest.mark.parametrize("name", ["list", "timeline", "map"])
def test_filter_beyond_the_calendar_gives_400_naming_the_field(client, name):
    response = client.get(reverse(f"browse:{name}"), {"date_after": "10000-01-01"})
    assert response.status_code == 400
    assert "From" in response.text


def test_filter_at_the_calendars_last_day_keeps_only_that_story(client, calendar_ends):
    response = client.get(reverse("browse:list"), {"date_after": "9999-12-31"})
    assert "On the last day" in response.text
    assert "In Florence" not in response.text


def test_chart_of_the_calendars_last_day_stays_on_the_calendar():
    chart = timeline.chart({LAST: 1})
    assert (chart["first"], chart["last"]) == (datetime.date(9999, 12, 17), LAST)
    assert [bar.day for bar in chart["bars"]] == [LAST]


def test_chart_of_the_calendars_first_day_stays_on_the_calendar():
    chart = timeline.chart({FIRST: 1})
    assert (chart["first"], chart["last"]) == (FIRST, datetime.date(1, 1, 15))


def test_chart_of_one_ordinary_day_centres_it_in_a_fortnight():
    chart = timeline.chart({datetime.date(2020, 3, 14): 1})
    assert (chart["first"], chart["last"]) == (
        datetime.date(2020, 3, 7),
        datetime.date(2020, 3, 21),
    )


def test_chart_across_the_whole_calendar_shows_its_last_ten_years():
    chart = timeline.chart({FIRST: 1, LAST: 2})
    assert chart["last"] == LAST
    assert [bar.day for bar in chart["bars"]] == [LAST]
    assert chart["ticks"][-1].label == "Dec 9999"


def test_a_story_spanning_the_calendars_end_counts_each_of_its_days(unchecked_dates):
    factories.story("To the end", start=datetime.date(9999, 12, 30), end=LAST)
    per_day = timeline.stories_per_day(Story.objects.published())
    assert per_day == {datetime.date(9999, 12, 30): 1, LAST: 1}


# Bulk loads refuse dates outside the archive's range, naming the line and the field.


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("stories.story", "start_date", "9999-12-31"),
        ("stories.story", "end_date", "2100-01-01"),
        ("stories.linkedpost", "posted_on", "0001-01-01"),
    ],
)
def test_load_archive_refuses_a_date_out_of_range_naming_line_and_field(
    tmp_path, model, field, value
):
    import json

    from django.core.management import CommandError, call_command

    story = factories.story("Dated", slug="dated", day=datetime.date(2020, 3, 14))
    factories.post(story, posted_on=datetime.date(2020, 3, 14), text="A post")
    path = tmp_path / "archive.jsonl"
    factories.export(path)
    factories.flush()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    number, record = next((i, r) for i, r in enumerate(records, 1) if r.get("model") == model)
    record["fields"][field] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(CommandError) as refusal:
        call_command("load_archive", str(path))
    assert f"line {number}: {model}.{field}: {value} is out of range" in str(refusal.value)
    assert "2019-01-01 to 2099-12-31" in str(refusal.value)
    assert not Story.objects.exists()


# A database written before the constraints: migration 0010 clears what is out of range.

BEFORE_THE_RANGE = [("stories", "0009_field_labels")]


@pytest.fixture
def migrated_from_before_the_range(transactional_db):
    """Stories and a post dated out of range, written at migration 0009, then migrated to
    the latest state; {slug: story} as the latest models read them."""
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_RANGE)
    old = executor.loader.project_state(BEFORE_THE_RANGE).apps
    OldStory, OldPost = old.get_model("stories", "Story"), old.get_model("stories", "LinkedPost")
    published = {"status": "published", "published_at": timezone.now()}
    OldStory.objects.create(title="Last", slug="last", start_date=LAST, end_date=LAST, **published)
    OldStory.objects.create(
        title="First", slug="first", start_date=FIRST, end_date=datetime.date(2020, 3, 14)
    )
    ordinary = OldStory.objects.create(
        title="Ordinary",
        slug="ordinary",
        start_date=datetime.date(2020, 3, 14),
        end_date=datetime.date(2020, 3, 14),
        curator_notes="Checked.",
        **published,
    )
    OldPost.objects.create(story=ordinary, position=1, posted_on=FIRST, text="Far back")
    OldPost.objects.create(story=ordinary, position=2, posted_on=datetime.date(2020, 3, 14))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {story.slug: story for story in Story.objects.all()}


def test_migration_clears_dates_out_of_range_and_notes_them(migrated_from_before_the_range):
    last = migrated_from_before_the_range["last"]
    assert (last.start_date, last.end_date, last.status) == (None, None, "published")
    assert "cleared the dates 9999-12-31 to 9999-12-31" in last.curator_notes
    first = migrated_from_before_the_range["first"]
    assert (first.start_date, first.end_date) == (None, None)
    assert "cleared the dates 0001-01-01 to 2020-03-14" in first.curator_notes


def test_migration_clears_a_post_date_out_of_range_and_notes_it_on_its_story(
    migrated_from_before_the_range,
):
    ordinary = migrated_from_before_the_range["ordinary"]
    assert ordinary.start_date == datetime.date(2020, 3, 14)
    assert [post.posted_on for post in ordinary.posts.order_by("position")] == [
        None,
        datetime.date(2020, 3, 14),
    ]
    assert ordinary.curator_notes.startswith("Checked.\nMigration 0010 cleared the posted date")
    assert "0001-01-01 of post 1" in ordinary.curator_notes


def test_pages_serve_a_migrated_archive_and_editing_it_moves_the_revision(
    client, migrated_from_before_the_range
):
    assert client.get(reverse("browse:timeline")).status_code == 200
    etag = client.get(reverse("browse:list"))["ETag"]
    Story.objects.filter(slug="last").update(summary="Dated again soon")
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 200
