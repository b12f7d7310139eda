"""The facet tables (stories/facts.py) stay equal to counting the stories the slow way.

After every kind of change an editor or a load can make, the totals are compared with the
counts taken through the link tables, the way the pages counted before the facet tables; and
the rows kept up to date change by change are compared with a rebuild from scratch.
"""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.urls import reverse

from stories import facts, sample
from stories.models import (
    City,
    Country,
    FacetPending,
    FacetSpan,
    FacetTotal,
    LinkedPost,
    Performer,
    Story,
    StoryFacet,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=False)


def slow_totals():
    """Every total, counted from the stories and their links."""
    published = Story.objects.published()
    totals = Counter()
    for story in published.prefetch_related("cities", "regions", "performers", "posts"):
        totals["story", ""] += 1
        totals["kind", story.kind] += 1
        posts = [post for post in story.posts.all() if not post.hidden]
        if posts:
            totals["posts", ""] += len(posts)
        for platform in {post.platform for post in posts if post.platform}:
            totals["platform", platform] += 1
        if story.start_date:
            totals["month", story.start_date.isoformat()[:7]] += 1
            day = story.start_date
            while day <= story.end_date:
                totals["day", day.isoformat()] += 1
                day += datetime.timedelta(days=1)
        for city in story.cities.all():
            totals["city", str(city.pk)] += 1
        regions = {region.pk for region in story.regions.all()}
        regions |= {city.region_id for city in story.cities.all() if city.region_id}
        for region in regions:
            totals["region", str(region)] += 1
        for performer in story.performers.all():
            totals["performer", str(performer.pk)] += 1
        if sample.contains(story.pk):
            totals["sample", str(sample.bucket_of(story.pk))] += 1
    for country in Country.objects.all():
        n = published.in_countries([country]).count()
        if n:
            totals["country", str(country.pk)] = n
    located = Story.cities.through.objects.filter(
        story=OuterRef("pk"), city__latitude__isnull=False
    )
    unmapped = published.exclude(Exists(located)).count()
    if unmapped:
        totals["unmapped", ""] = unmapped
    return dict(totals)


def kept_totals():
    facts.bring_up_to_date()
    return {(t.facet, t.key): t.total for t in FacetTotal.objects.all()}


def slow_word_totals():
    """PostgreSQL: {(lexeme, country key or ""): stories}, counted from the stories' search
    vectors and, for countries, through the country filter's own query."""
    totals = Counter()
    published = Story.objects.published()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tsvector_to_array(search_vector) FROM stories_story "
            "WHERE status = 'published' AND search_vector IS NOT NULL"
        )
        lexemes = dict(cursor.fetchall())
    for story_lexemes in lexemes.values():
        for lexeme in story_lexemes:
            totals[lexeme, ""] += 1
    for country in Country.objects.all():
        for pk in published.in_countries([country]).values_list("pk", flat=True):
            for lexeme in lexemes.get(pk, ()):
                totals[lexeme, str(country.pk)] += 1
    return dict(totals)


def kept_word_totals():
    facts.bring_up_to_date()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT lexeme, country, total FROM {facts.WORD_TOTAL_TABLE}")
        return {(lexeme, country): total for lexeme, country, total in cursor.fetchall()}


def word_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {facts.WORD_TABLE} ORDER BY story_id, lexeme")
        return cursor.fetchall()


def rows():
    return sorted(
        StoryFacet.objects.values_list(
            "story_id", "facet", "key", "weight", "start_date", "end_date", "kind"
        )
    )


def spans():
    return sorted(FacetSpan.objects.values_list("facet", "key", "kind", "day", "starts", "ends"))


def assert_exact():
    """The totals equal the slow count; the rows and the spans, those a rebuild would
    write."""
    assert kept_totals() == slow_totals()
    words = connection.vendor == "postgresql"
    if words:
        assert kept_word_totals() == slow_word_totals()
    incremental, incremental_spans = rows(), spans()
    incremental_words = word_rows() if words else None
    facts.rebuild()
    assert rows() == incremental
    assert spans() == incremental_spans
    assert kept_totals() == slow_totals()
    if words:
        assert word_rows() == incremental_words
        assert kept_word_totals() == slow_word_totals()


@pytest.fixture
def archive():
    florence = factories.city("Florence", latitude=43.77, longitude=11.25)
    madrid = factories.city("Madrid", country_code="ES", latitude=40.4, longitude=-3.7)
    turin = factories.city("Turin")  # not on the map: no coordinates
    singer = factories.performer("Maurizio Marchini")
    one = factories.story(
        "Tenor sings",
        day=datetime.date(2020, 3, 14),
        kind="music",
        cities=[florence],
        performers=[singer],
    )
    factories.post(one, url="https://twitter.com/a/status/1")
    two = factories.story(
        "Applause",
        start=datetime.date(2020, 3, 14),
        end=datetime.date(2020, 3, 17),
        kind="applause",
        cities=[madrid, turin],
    )
    factories.post(two, url="https://www.instagram.com/p/abc/")
    factories.post(two, url="https://twitter.com/b/status/2")
    three = factories.story("Somewhere in Sicily", regions=[factories.region()], kind="dj-set")
    draft = factories.story(
        "A draft", day=datetime.date(2020, 4, 1), cities=[florence], status=Story.Status.DRAFT
    )
    return {
        "one": one,
        "two": two,
        "three": three,
        "draft": draft,
        "florence": florence,
        "madrid": madrid,
        "turin": turin,
        "singer": singer,
    }


def test_the_totals_count_only_published_stories(archive):
    totals = kept_totals()
    assert totals["story", ""] == 3
    assert totals["posts", ""] == 3
    assert totals["city", str(archive["florence"].pk)] == 1  # the draft is not counted
    assert totals["day", "2020-03-16"] == 1
    assert ("day", "2020-04-01") not in totals
    assert totals["unmapped", ""] == 1  # the story placed only in Sicily
    assert_exact()


@pytest.mark.parametrize(
    "change",
    [
        "publish",
        "withdraw",
        "back-to-review",
        "add-city",
        "remove-city",
        "add-performer",
        "clear-performers",
        "add-post",
        "delete-post",
        "post-platform",
        "redate",
        "undate",
        "kind",
        "city-moves-country",
        "city-gets-coordinates",
        "region-moves-country",
        "city-joins-a-region",
        "city-leaves-its-region",
        "add-region",
        "add-country",
        "delete-city",
        "retitle",
        "rename-performer",
        "edit-post-text",
        "hide-post",
        "show-post-again",
    ],
)
def test_every_change_keeps_the_totals_exact(archive, change):
    kept_totals()
    one, two, draft = archive["one"], archive["two"], archive["draft"]
    if change == "publish":
        draft.status = Story.Status.PUBLISHED
        draft.published_at = one.published_at
        draft.save()
    elif change == "withdraw":
        two.status = Story.Status.WITHDRAWN
        two.save()
    elif change == "back-to-review":
        Story.objects.filter(pk=one.pk).update(status=Story.Status.IN_REVIEW)
    elif change == "add-city":
        one.cities.add(archive["madrid"])
    elif change == "remove-city":
        two.cities.remove(archive["madrid"])
    elif change == "add-performer":
        two.performers.add(archive["singer"], factories.performer("A choir"))
    elif change == "clear-performers":
        one.performers.clear()
    elif change == "add-post":
        factories.post(one, url="https://www.facebook.com/x/posts/3")
    elif change == "delete-post":
        two.posts.filter(platform="instagram").delete()
    elif change == "post-platform":
        LinkedPost.objects.filter(story=one).update(platform="youtube")
    elif change == "redate":
        one.start_date, one.end_date = datetime.date(2020, 4, 2), datetime.date(2020, 4, 5)
        one.save()
    elif change == "undate":
        Story.objects.filter(pk=two.pk).update(start_date=None, end_date=None)
    elif change == "kind":
        Story.objects.filter(pk=one.pk).update(kind="workout")
    elif change == "city-moves-country":
        City.objects.filter(pk=archive["turin"].pk).update(country=factories.country("FR"))
    elif change == "city-gets-coordinates":
        City.objects.filter(pk=archive["turin"].pk).update(latitude=45.07, longitude=7.69)
    elif change == "region-moves-country":
        archive["three"].regions.first().__class__.objects.update(country=factories.country("MT"))
    elif change == "city-joins-a-region":
        City.objects.filter(pk=archive["turin"].pk).update(region=factories.region("Piedmont"))
    elif change == "city-leaves-its-region":
        City.objects.filter(pk=archive["turin"].pk).update(region=factories.region("Piedmont"))
        kept_totals()
        City.objects.filter(pk=archive["turin"].pk).update(region=None)
    elif change == "add-region":
        one.regions.add(factories.region("Tuscany"))
    elif change == "add-country":
        archive["three"].countries.add(factories.country("ES"))
    elif change == "delete-city":
        archive["turin"].delete()
    elif change == "retitle":  # (on PostgreSQL, its words)
        one.title = "Tenor sings Nessun Dorma from a balcony"
        one.save()
    elif change == "rename-performer":
        Performer.objects.filter(pk=archive["singer"].pk).update(name="Andrea Bocelli")
    elif change == "edit-post-text":
        LinkedPost.objects.filter(story=two).update(text="Applause for the nurses")
    elif change == "hide-post":  # (its platform and its count go)
        LinkedPost.objects.filter(story=two, platform="instagram").update(
            hidden=True, hidden_reason="Takedown request"
        )
    elif change == "show-post-again":
        hidden = LinkedPost.objects.filter(story=two, platform="instagram")
        hidden.update(hidden=True, hidden_reason="Takedown request")
        kept_totals()
        hidden.update(hidden=False)
    assert_exact()


def test_a_draft_edit_notes_nothing(archive):
    kept_totals()
    draft = archive["draft"]
    draft.title = "A better draft"
    draft.save()
    draft.cities.add(archive["madrid"])
    factories.post(draft, url="https://twitter.com/d/status/9")
    assert not FacetPending.objects.exists()


def test_a_performer_renamed_or_a_city_renamed_changes_no_row(archive):
    kept_totals()
    before = rows()
    Performer.objects.filter(pk=archive["singer"].pk).update(name="M. Marchini", slug="mm")
    City.objects.filter(pk=archive["florence"].pk).update(name="Firenze")
    if connection.vendor == "postgresql":
        # The performer's name is in its stories' search vectors, so their words change.
        assert set(FacetPending.objects.values_list("story_id", flat=True)) == {archive["one"].pk}
        kept_totals()
    else:
        assert not FacetPending.objects.exists()
    assert rows() == before


def test_a_withdrawn_story_leaves_every_count_on_the_next_request(client, archive):
    page = client.get(reverse("browse:home"))
    assert page.context["counts"]["stories"] == 3
    two = archive["two"]
    two.status = Story.Status.WITHDRAWN
    two.save()
    page = client.get(reverse("browse:home"))
    assert page.context["counts"] == {"stories": 2, "cities": 1, "countries": 1, "posts": 1}
    listing = client.get(reverse("browse:list"))
    assert listing.context["page"].paginator.count == 2
    cities = {v.key for f in listing.context["facets"] if f.name == "city" for v in f.values}
    assert cities == {"florence"}
    assert client.get("/on/2020-03-16/").context["page"].paginator.count == 0


def test_concurrent_calls_count_each_change_once(archive):
    """Two pending notes of one story (two edits) are recomputed once, not added twice."""
    kept_totals()
    one = archive["one"]
    one.cities.add(archive["madrid"])
    one.cities.add(archive["turin"])
    assert FacetPending.objects.count() == 2
    assert_exact()


def test_a_bulk_load_leaves_exact_totals_and_nothing_pending():
    """PostgreSQL pauses the triggers; on SQLite they note every story, and the rebuild at
    the end of the load takes the notes away."""
    from stories.interchange.synthetic import generate_archive

    generate_archive(200, seed=3)
    assert not FacetPending.objects.exists()
    assert kept_totals() == slow_totals()


@pytest.mark.postgres
def test_a_rebuild_leaves_the_indexes_the_migrations_made():
    """A rebuild drops the facet rows' indexes around its insert and builds them again: the
    same ones, the sample's partial indexes (browse/facets.py's estimates) among them."""
    from django.db import connection

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'stories_storyfacet' ORDER BY indexname"
            )
            return cursor.fetchall()

    before = indexes()
    assert {"stories_storyfacet_sample", "stories_storyfacet_sample_story"} <= {
        name for name, _ in before
    }
    facts.rebuild()
    assert indexes() == before


DAYS = [datetime.date(2020, 3, 13) + datetime.timedelta(days=n) for n in range(7)]


def test_the_spans_count_every_date_range_as_the_rows_do(archive):
    """A country's, a platform's or the whole archive's stories over any range of days, of
    any kind or all: the two sums of the spans equal the rows' count."""
    facts.bring_up_to_date()
    factories.story("Later", start=DAYS[2], end=DAYS[5], kind="music", cities=[archive["madrid"]])
    facts.bring_up_to_date()
    keys = [("story", ""), ("platform", "twitter"), ("platform", "instagram")]
    keys += [("country", str(pk)) for pk in Country.objects.values_list("pk", flat=True)]
    checked = 0
    for facet, key in keys:
        for kind in (None, "music", "applause"):
            rows = StoryFacet.objects.filter(facet=facet, key=key)
            if kind:
                rows = rows.filter(kind=kind)
            for after in (None, *DAYS):
                for before in (None, *DAYS):
                    if after and before and after > before:
                        continue
                    chosen = rows
                    if after:
                        chosen = chosen.filter(end_date__gte=after)
                    if before:
                        chosen = chosen.filter(start_date__lte=before)
                    if not (after or before):
                        chosen = chosen.filter(start_date__isnull=False)
                    expected = chosen.count()
                    counted = facts.spanned(facet, key, kind, after, before)
                    assert (type(counted), counted) == (int, expected)
                    checked += expected
    assert checked > 0


def test_a_country_and_dates_list_is_counted_from_the_spans(client, archive):
    """The list's total from two sums of the spans, not a count of the country's rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/stories/?country=ES&date_after=2020-03-16&date_before=2020-03-20"
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    assert "<strong>1 story</strong>" in page.text
    statements = [query["sql"] for query in queries.captured_queries]
    assert any("FROM stories_facetspan" in sql for sql in statements)
    assert not any(sql.startswith('SELECT COUNT(*) AS "__count"') for sql in statements)
