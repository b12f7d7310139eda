"""Facet counts estimated on the fixed sample of stories (stories/sample.py,
browse/facets.py): marked "about", scaled right, only values surely near the top shown,
nothing unpublished, and the sample read through its own partial indexes."""

import datetime
import re

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from browse import facets
from browse.filters import filter_stories
from stories import facts, sample, search, words
from stories.models import Story, StoryFacet
from tests import factories

pytestmark = pytest.mark.django_db

IN_SAMPLE = [34, 89, 123, 65536 + 34]  # sample.contains() is true of these ids...
OUT_OF_SAMPLE = [33, 35, 90, 65536 + 35]  # ...and false of these


def test_the_sample_is_two_percent_of_any_run_of_ids():
    """Stories written together (a bulk load, a busy week) have consecutive ids: the sample
    takes the same share of every run of them, not all or none."""
    assert sum(sample.contains(n) for n in range(65536)) == 1311
    for start in range(1, 300_000, 997):
        assert 90 <= sum(sample.contains(n) for n in range(start, start + 5000)) <= 110


def test_the_database_and_python_agree_on_the_sample():
    assert all(sample.contains(n) for n in IN_SAMPLE)
    assert not any(sample.contains(n) for n in OUT_OF_SAMPLE)
    for number in IN_SAMPLE + OUT_OF_SAMPLE:
        factories.story(f"Story {number}", id=number)
    in_database = Story.objects.filter(sample.in_sample()).values_list("pk", sample.bucket())
    assert sorted(in_database) == [(n, n % 65536 * 40503 % 65536) for n in IN_SAMPLE]
    smaller = Story.objects.filter(sample.in_sample(below=500)).values_list("pk", flat=True)
    assert sorted(smaller) == [n for n in IN_SAMPLE if sample.contains(n, below=500)]
    assert 0 < len(smaller) < len(IN_SAMPLE)


def archive_of(count):
    """`count` published stories written in one statement ("Balcony aria" in each), and
    fresh statistics: the planner then chooses between indexes by what it knows of the table,
    as at scale. On a handful of rows every plan costs about the same, and which one wins
    turns on how many pages earlier tests' rolled-back rows left in the table files."""
    published_at = timezone.now()
    Story.objects.bulk_create(
        Story(
            title=f"Balcony aria {number}",
            slug=f"balcony-aria-{number}",
            kind=Story.Kind.MUSIC,
            status=Story.Status.PUBLISHED,
            published_at=published_at,
        )
        for number in range(1, count + 1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stories_story")


def plan(queryset):
    """EXPLAIN, with the table read whole only if no index answers the query."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.postgres
def test_the_sample_of_published_stories_is_read_from_its_index():
    archive_of(4000)
    published = Story.objects.published()
    everyone = published.filter(sample.in_sample()).order_by().values("pk")
    assert re.search(r"\bstories_story_sample\b", plan(everyone))
    smaller = published.filter(sample.in_sample(below=100)).order_by().values("pk")
    assert re.search(r"\bstories_story_sample\b", plan(smaller))


@pytest.mark.postgres
def test_the_samples_matches_for_words_are_read_from_its_indexes():
    """At a million stories the planner reads stories_story_search_sample (docs/scaling.md);
    at a few thousand, either of the sample's indexes: both say the sample as the query
    does. Without them it would read every match of the word, or the whole table."""
    archive_of(4000)
    found = search.matching(Story.objects.published(), "balcony").filter(sample.in_sample())
    assert re.search(r"\bstories_story_(search_)?sample\b", plan(found.order_by().values("pk")))


@pytest.mark.postgres
def test_the_samples_facet_rows_are_read_from_their_indexes():
    """A selection the facet rows make (here every music story) is sampled from an index of
    the sample's rows (at a million stories, the one by selection; here either), and the
    sampled stories' facets counted from the one by story: not from the indexes of all the
    rows, which at a million stories are 300 MB each."""
    archive_of(4000)
    facts.bring_up_to_date()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stories_storyfacet")
    music = StoryFacet.objects.filter(facet="story", key="", kind=Story.Kind.MUSIC)
    of = sample.FACET_STORY_ID
    chosen = music.filter(sample.in_sample(of=of)).values_list("story_id", sample.bucket(of=of))
    assert re.search(r"\bstories_storyfacet_sample(_story|_ending)?\b", plan(chosen))
    ids = [story_id for story_id, _ in chosen]
    assert ids and all(sample.contains(story_id) for story_id in ids)
    assert re.search(r"\bstories_storyfacet_sample_story\b", plan(facets.sampled_rows(ids)))


@pytest.mark.parametrize("url", ["/stories/?q=balcony", "/stories/?kind=music&city=florence"])
def test_the_sample_as_each_database_says_it_serves_pages(client, monkeypatch, url):
    """The sample's own SQL (not a test's stand-in), through Django's cursor that records
    queries, as the benchmark's does: estimated facets, the list exact."""
    florence = factories.city("Florence")
    for number in IN_SAMPLE + OUT_OF_SAMPLE:
        factories.story(f"Balcony aria {number}", id=number, kind="music", cities=[florence])
    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", 0)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    assert "<strong>8 stories</strong>" in page.text
    assert page.context["by_name"]["city"].estimated
    assert any(f"< {sample.SHARE}" in query["sql"] for query in queries.captured_queries)


@pytest.mark.postgres
def test_a_words_facets_are_estimated_on_its_rows_in_the_sample(client, monkeypatch):
    """PostgreSQL: a search for one word is sampled from the word tables' index of the
    sample; its facets scaled and marked, its total exact."""
    florence = factories.city("Florence")
    for number in IN_SAMPLE + OUT_OF_SAMPLE:
        factories.story(f"Balcony aria {number}", id=number, kind="music", cities=[florence])
    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", 0)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/stories/?q=balconies")
    assert "<strong>8 stories</strong>" in page.text
    city = page.context["by_name"]["city"]
    assert city.estimated
    assert [v.count for v in city.values] == [8]  # (every story is in Florence)
    assert any("stories_storyword" in query["sql"] for query in queries.captured_queries)


def sampled_by(monkeypatch, condition):
    """Estimate every facet over any selection, on the sample `condition` says of a story's
    id, `{id}` (a story's, or a facet row's)."""

    def in_sample(below=None, of=sample.STORY_ID):
        return RawSQL(condition.format(id=of), [], output_field=BooleanField())

    def ratio(self, bound):  # (the real one reads the real sample's totals)
        published = Story.objects.published().filter(in_sample(below=bound))
        return self.total / max(1, published.count())

    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", 0)
    monkeypatch.setattr(facets, "in_sample", in_sample)
    monkeypatch.setattr(facets.Sample, "ratio", ratio)
    # Words through the list's own query: a search the index answers alone is sampled by
    # the real sample (tests/test_search_words.py and the test below).
    monkeypatch.setattr(words, "term", lambda text: None)


def test_estimated_counts_are_scaled_up_and_marked_about(client, monkeypatch):
    """Half the stories in the sample: each count on it is doubled, and says "about"."""
    florence, turin = factories.city("Florence"), factories.city("Turin")
    for number in range(1, 9):
        factories.story(f"Balcony aria {number}", id=number, cities=[florence], kind="music")
    for number in (9, 10):
        factories.story(f"Balcony aria {number}", id=number, cities=[turin], kind="music")
    sampled_by(monkeypatch, "MOD({id}, 2) = 0")
    page = client.get("/stories/?q=balcony")
    assert page.status_code == 200
    assert "<strong>10 stories</strong>" in page.text  # the total stays exact
    cities = {value.label: value.count_text for value in page.context["by_name"]["city"].values}
    # Florence: 4 of its 8 stories in the sample, Turin 1 of 2; 5 of 10 in all.
    assert cities == {"Florence, IT": "about 8", "Turin, IT": "about 2"}
    assert "Estimated from a sample of the archive" in page.text
    assert '<span class="count">about 8</span>' in page.text


def test_the_selected_value_shows_the_lists_exact_total(client, monkeypatch):
    """Of the stories the other filters keep, those of the selected kind are the list: its
    count is the list's total, exact, whatever the sample says."""
    for number in range(1, 8):
        factories.story(f"Balcony aria {number}", id=number, kind="music")
    factories.story("Balcony clapping", id=8, kind="applause")
    sampled_by(monkeypatch, "MOD({id}, 2) = 0")
    page = client.get("/stories/?q=balcony&kind=music")
    kinds = {v.key: (v.count_text, v.active) for v in page.context["by_name"]["kind"].values}
    # 3 of the 7 music stories in the sample (2, 4, 6) would say "about 6".
    assert kinds["music"] == ("7", True)
    assert kinds["applause"] == ("about 2", False)


@pytest.mark.parametrize(
    "url",
    [
        "/stories/?q=balcony",  # words: the list's own query
        "/stories/?kind=music",  # one range of the facet rows
        "/stories/?city=florence&kind=music",
    ],
)
def test_an_estimate_over_every_story_equals_the_exact_count(client, monkeypatch, url):
    florence, turin = factories.city("Florence"), factories.city("Turin")
    for number in range(3):
        factories.story(f"Balcony aria {number}", cities=[florence], kind="music")
    factories.story("Balcony song", cities=[turin], kind="music", day=datetime.date(2020, 4, 2))
    factories.story("Balcony clapping", cities=[florence], kind="applause")
    exact = client.get(url).context["by_name"]
    sampled_by(monkeypatch, "1 = 1")
    estimated = client.get(url + "&sort=title").context["by_name"]
    assert not any(facet.estimated for facet in exact.values())
    # (Facets with no filter but their own are read from the totals, exact.)
    assert any(facet.estimated for facet in estimated.values())
    for name, facet in exact.items():
        assert [(v.key, v.count) for v in estimated[name].values] == [
            (v.key, v.count) for v in facet.values
        ]


def test_a_wide_selection_of_the_facet_rows_is_estimated(client, monkeypatch):
    """Beside one performer, the performer facet counts the stories of the kind alone (its
    own filter left out): counted on the sample, scaled, marked; the selected performer
    shows the list's exact total."""
    singer, choir = factories.performer("A singer"), factories.performer("A choir")
    for number in range(1, 9):
        performers = [singer] if number <= 3 else [choir]
        factories.story(f"Aria {number}", id=number, kind="music", performers=performers)
    factories.story("Clapping", id=9, kind="applause", performers=[choir])
    sampled_by(monkeypatch, "MOD({id}, 2) = 0")
    page = client.get(f"/stories/?kind=music&performer={singer.slug}")
    assert page.status_code == 200
    assert "<strong>3 stories</strong>" in page.text
    performer = page.context["by_name"]["performer"]
    assert performer.estimated
    # Of the music stories in the sample (2, 4, 6, 8), one is the singer's and three the
    # choir's; four of the nine stories are in it, so each counts 9 / 4.
    counts = {value.label: (value.count_text, value.active) for value in performer.values}
    assert counts == {"A singer": ("3", True), "A choir": ("about 7", False)}
    assert "Estimated from a sample of the archive" in page.text


def test_an_estimate_names_no_unpublished_story_or_place(client, monkeypatch):
    factories.story("Balcony aria", cities=[factories.city("Florence")])
    factories.story("Balcony draft", status="draft", cities=[factories.city("Hiddenville")])
    factories.story("Balcony gone", status="withdrawn", cities=[factories.city("Gonetown")])
    sampled_by(monkeypatch, "1 = 1")
    page = client.get("/stories/?q=balcony")
    assert page.context["by_name"]["city"].estimated
    assert "Hiddenville" not in page.text
    assert "Gonetown" not in page.text
    assert "Florence" in page.text


def test_only_values_surely_among_the_busiest_are_shown():
    """Three cities far ahead, then nine the sample cannot tell apart: only the three are
    shown as links; the others are offered as typed suggestions, with their estimates."""
    counts = [1000, 900, 800, 110, 108, 106, 104, 102, 100, 98, 96, 94]
    rows = [(f"city-{n}", f"City {n}", count) for n, count in enumerate(counts)]
    filterset = filter_stories(QueryDict("q=balcony"))
    assert filterset.is_valid()
    links = facets.Links(QueryDict("q=balcony"))
    city = next(spec for spec in facets.FACETS if spec.name == "city")
    facet = facets.estimated_facet(city, filterset, links, rows, 50.0)
    assert [(v.key, v.count_text) for v in facet.shown] == [
        ("city-0", "about 50,000"),
        ("city-1", "about 45,000"),
        ("city-2", "about 40,000"),
    ]
    assert facet.total == 12
    assert 'value="city-11" label="City 11 (about 4,700)"' in facet.suggestions


def test_a_facet_with_room_for_every_value_shows_each():
    rows = [("music", "Music", 3), ("applause", "Applause", 1)]
    filterset = filter_stories(QueryDict("q=balcony"))
    assert filterset.is_valid()
    links = facets.Links(QueryDict("q=balcony"))
    kind = next(spec for spec in facets.FACETS if spec.name == "kind")
    facet = facets.estimated_facet(kind, filterset, links, rows, 2.0)
    assert [(v.key, v.count, v.count_text) for v in facet.shown] == [
        ("music", 6, "about 6"),
        ("applause", 2, "about 2"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/stories/?q=balcony+aria",  # the list's own query
        "/stories/?q=balcony&country=IT",  # PostgreSQL: the word tables
        "/stories/?city=florence&kind=music",  # the facet rows, several filters
        "/stories/?country=IT&date_after=2020-03-01",  # one range of the facet rows
    ],
)
def test_a_few_stories_facets_counted_at_once_are_those_counted_one_by_one(
    client, monkeypatch, url
):
    """When the list's total, or else the sample, says a selection is small, its stories
    are read once and every facet counted over them in one query: the same values and
    counts, exact."""
    florence, turin = factories.city("Florence"), factories.city("Turin")
    madrid = factories.city("Madrid", country_code="ES")
    ids = iter(n for n in range(1000, 2000) if not sample.contains(n))
    for number in range(6):
        factories.story(
            f"Balcony aria {number}",
            id=next(ids),
            cities=[florence] if number % 2 else [florence, turin],
            kind="music",
            day=datetime.date(2020, 3, 10 + number),
        )
    factories.story(
        "Balcony clapping",
        id=next(ids),
        cities=[turin],
        kind="applause",
        day=datetime.date(2020, 4, 2),
    )
    factories.story("Balcony aria in Madrid", id=next(ids), cities=[madrid], kind="music")
    page = client.get(url)  # (too few stories for a sample)
    one_by_one = page.context["by_name"]
    # A sample (the archive's 8 stories are more), which holds none of them: the list's
    # total is small enough, and the sample says the other selections are.
    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", page.context["page"].paginator.count)
    with CaptureQueriesContext(connection) as queries:
        at_once = client.get(url + "&sort=title").context["by_name"]
    assert [n for n, facet in at_once.items() if facet.estimated] == []
    for name, facet in one_by_one.items():
        assert [(v.key, v.count) for v in at_once[name].values] == [
            (v.key, v.count) for v in facet.values
        ]
    counted = [q for q in queries.captured_queries if 'COUNT(*) AS "n"' in q["sql"]]
    assert len(counted) <= 3  # (one a selection: at most the list's, and two others')


def test_the_scale_of_an_estimate_is_read_from_the_sample_facets_totals():
    """Sample.ratio: published stories per published story in the buckets below a bound,
    from the `sample` facet's totals, as counting the sample's stories says; a withdrawn
    story leaves them at once."""
    ids = [pk for pk in range(1, 200_000) if sample.contains(pk)][:12]
    stories = [factories.story(f"Balcony aria {pk}", id=pk) for pk in ids]
    for pk in range(1, 31):  # not in the sample
        if not sample.contains(pk):
            factories.story(f"Street concert {pk}", id=pk)
    stories[0].status = Story.Status.WITHDRAWN
    stories[0].save()
    facts.bring_up_to_date()
    total = Story.objects.published().count()
    buckets = sorted(sample.bucket_of(pk) for pk in ids[1:])
    for bound in (buckets[0] + 1, buckets[5], buckets[-1] + 1, sample.SHARE):
        found = Story.objects.published().filter(sample.in_sample(below=bound)).count()
        assert found == sum(bucket < bound for bucket in buckets)
        assert facets.Sample(total).ratio(bound) == total / max(1, found)


def dated_archive_of(count):
    """As archive_of(), each story dated: one starting each day from 1 March 2020, lasting
    up to three days."""
    first = datetime.date(2020, 3, 1)
    published_at = timezone.now()
    Story.objects.bulk_create(
        Story(
            title=f"Balcony aria {number}",
            slug=f"balcony-aria-{number}",
            kind=[Story.Kind.MUSIC, Story.Kind.APPLAUSE][number % 2],
            start_date=first + datetime.timedelta(days=number),
            end_date=first + datetime.timedelta(days=number + number % 4),
            status=Story.Status.PUBLISHED,
            published_at=published_at,
        )
        for number in range(count)
    )
    facts.bring_up_to_date()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stories_story")
        cursor.execute("ANALYZE stories_storyfacet")


@pytest.mark.postgres
def test_a_date_range_from_a_late_day_is_read_from_where_the_end_dates_pass_it():
    """Every story from a late day on: the selection (and its sample) reads the rows from
    that day on, by end date, not every row of the key (80 ms for a year of every story at a
    million stories, 1.4 with it; docs/scaling.md); and finds exactly the stories
    StoryQuerySet.covering() does."""
    dated_archive_of(4000)
    filterset = filter_stories(QueryDict("date_after=2030-06-01&date_before=2031-06-30"))
    assert filterset.is_valid()
    chosen = facets.selection(filterset)
    assert re.search(r"Index Cond: .*end_date >=", plan(chosen.ids))
    assert "stories_storyfacet_ending" in plan(chosen.ids)
    of = sample.FACET_STORY_ID
    sampled = chosen.ids.filter(sample.in_sample(of=of)).values_list("story_id")
    assert "stories_storyfacet_sample_ending" in plan(sampled)
    covering = Story.objects.published().covering(
        datetime.date(2030, 6, 1), datetime.date(2031, 6, 30)
    )
    expected = sorted(covering.values_list("pk", flat=True))
    assert expected and sorted(row["story_id"] for row in chosen.ids) == expected


@pytest.mark.parametrize("kind", ["", "music"])
def test_a_selection_by_dates_keeps_the_same_stories_with_the_kind_open_or_set(client, kind):
    """With the kind left open, the selection says "any kind a published story has" so that
    its index reads a date range per kind (facts.AnyKind): the same stories either way."""
    dated_archive_of(200)
    in_june = Story.objects.filter(start_date__month=6).order_by("pk").values("pk")[:5]
    Story.objects.filter(pk__in=in_june).update(status=Story.Status.WITHDRAWN)
    facts.bring_up_to_date()
    query = "date_after=2020-06-01&date_before=2020-07-15" + (f"&kind={kind}" if kind else "")
    filterset = filter_stories(QueryDict(query))
    assert filterset.is_valid()
    chosen = sorted(row["story_id"] for row in facets.selection(filterset).ids)
    expected = Story.objects.published().covering(
        datetime.date(2020, 6, 1), datetime.date(2020, 7, 15)
    )
    if kind:
        expected = expected.filter(kind=kind)
    assert chosen == sorted(expected.values_list("pk", flat=True))
    assert chosen


@pytest.mark.postgres
def test_a_broad_selections_sample_is_the_first_rows_of_its_bucket_ordered_index():
    """Every story in a year: its sample is the first 2,001 rows in bucket order that pass
    the dates, read in that order from the sample's own index by key and bucket, not the
    whole range sorted (13,000 rows at a million stories: 16 ms; 1.2 ms). At 4,000 stories
    sorting the sample's 80 rows costs the planner less, so sorting is priced out here: the
    index must say the bucket as the query does for the planner to read the order from it."""
    dated_archive_of(4000)
    filterset = filter_stories(QueryDict("date_after=2020-01-01&date_before=2031-12-31"))
    assert filterset.is_valid()
    chosen = facets.selection(filterset)
    of = sample.FACET_STORY_ID
    sampled = (
        chosen.ids.filter(sample.in_sample(of=of))
        .values_list("story_id", sample.bucket(of=of))
        .order_by(sample.bucket(of=of).asc(), "story_id")[: facets.SAMPLED_AT_MOST + 1]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
    explained = plan(sampled)
    assert "stories_storyfacet_sample_bucket" in explained
    assert not re.search(r"\bSort\b", explained)
    rows = list(sampled)
    assert rows == sorted(rows, key=lambda row: (row[1], row[0]))
    assert [bucket for _, bucket in rows] == [sample.bucket_of(pk) for pk, _ in rows]


@pytest.mark.parametrize("filters", ["country=IT", "country=IT&kind=music", "kind=music"])
def test_the_month_facet_over_one_wide_key_is_counted_exactly_from_its_spans(
    client, monkeypatch, filters
):
    """A country's months (or a kind's, or both) come from the spans, exact, while the
    other facets over a selection as wide are estimated on the sample: the months never
    say "about", and a story withdrawn is gone from them on the next request."""
    florence, madrid = factories.city("Florence"), factories.city("Madrid", country_code="ES")
    days = [datetime.date(2020, 3, 9), datetime.date(2020, 3, 30), datetime.date(2020, 4, 2)]
    for number in range(1, 10):
        factories.story(
            f"Aria {number}",
            id=number,
            kind=["music", "applause"][number % 2],
            cities=[florence],
            day=days[number % 3],
        )
    factories.story("Aria in Madrid", id=10, kind="music", cities=[madrid], day=days[0])
    factories.story("Draft aria", status="draft", kind="music", cities=[florence], day=days[0])
    sampled_by(monkeypatch, "MOD({id}, 2) = 0")

    def expected():
        stories = Story.objects.published().filter(cities__country__code="IT")
        if "kind=music" in filters:
            stories = stories.filter(kind="music")
        if "country" not in filters:
            stories = Story.objects.published().filter(kind="music")
        months = sorted({story.start_date.strftime("%Y-%m") for story in stories})
        count = {m: sum(s.start_date.strftime("%Y-%m") == m for s in stories) for m in months}
        return [(month, count[month]) for month in months]

    page = client.get(f"/stories/?{filters}")
    assert page.status_code == 200
    month = page.context["by_name"]["month"]
    assert not month.estimated
    assert [(value.key, value.count) for value in month.values] == expected()
    assert page.context["by_name"]["city"].estimated or "country" not in filters
    assert "about" not in "".join(value.count_text for value in month.values)

    Story.objects.filter(pk=4).update(status=Story.Status.WITHDRAWN)  # (music, 9 March)
    month = client.get(f"/stories/?{filters}").context["by_name"]["month"]
    assert [(value.key, value.count) for value in month.values] == expected()


def test_a_selection_the_list_says_is_wide_stays_estimated_whatever_the_sample_says(
    client, monkeypatch
):
    """Six music stories, one of them in a sample of a quarter of the stories: the sample
    puts them at four, the list's total says six. With counts exact up to five, the facets
    over them are estimated, as six says, not read and counted one by one."""
    florence = factories.city("Florence")
    for number in range(1, 13):
        kind = "music" if number <= 6 else "applause"
        factories.story(f"Aria {number}", id=number, kind=kind, cities=[florence])
    sampled_by(monkeypatch, "MOD({id}, 4) = 0")
    monkeypatch.setattr(facets, "ESTIMATE_ABOVE", 5)
    page = client.get("/stories/?kind=music")
    assert "<strong>6 stories</strong>" in page.text
    city = page.context["by_name"]["city"]
    assert city.estimated
    assert [(value.label, value.count_text) for value in city.values] == [
        ("Florence, IT", "about 4")
    ]
