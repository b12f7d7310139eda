"""The database triggers behind derived state match what the code says they are, and do it.

The archive revision (public pages' ETags) and the search vectors are kept by triggers that
migrations install; the code names the tables and triggers in stories/revision.py and
stories/search.py. These tests read the installed triggers back from the database, then
make changes and watch the revision: it moves with what an anonymous visitor can see, and
only with that (issue 10, defect 7).
"""

import datetime

import pytest
from django.db import connection

from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story
from stories.revision import (
    EVENTS,
    VISIBLE_ROWS,
    public_tables,
    revision_function,
    revision_trigger,
)
from stories.search import SEARCH_TRIGGERS
from tests import factories

pytestmark = pytest.mark.django_db

# pg_trigger.tgtype bits: 1 row (else statement), 2 before, 4 insert, 8 delete, 16 update,
# 32 truncate, 64 instead of.
REVISION_NAMES = r"%\_revision%"
AFTER_EACH_STATEMENT = {"insert": 4, "delete": 8, "update": 16, "truncate": 32}


def pg_triggers(where, params):
    """(table, trigger, type, enabled) of the user-defined triggers that match `where`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.relname, t.tgname, t.tgtype, t.tgenabled
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND ({where})
            ORDER BY c.relname, t.tgname
            """,
            params,
        )
        return cursor.fetchall()


def test_public_tables_are_the_public_models_and_their_links():
    tables = public_tables()
    assert {"stories_story", "stories_linkedpost", "stories_story_cities"} <= set(tables)
    assert not [table for table in tables if "historical" in table]
    assert "stories_loadrecord" not in tables


def test_every_public_table_has_a_rule_for_what_a_visitor_sees_of_it():
    assert sorted(VISIBLE_ROWS) == public_tables()


def pg_revision_triggers():
    """Every trigger named as a revision trigger, or running a revision function."""
    return pg_triggers("t.tgname LIKE %s OR p.proname LIKE %s", [REVISION_NAMES, REVISION_NAMES])


@pytest.mark.postgres
def test_every_public_table_and_no_other_has_the_revision_triggers():
    installed = pg_revision_triggers()
    assert [(table, trigger) for table, trigger, _, _ in installed] == sorted(
        (table, revision_trigger(table, event))
        for table in public_tables()
        for event in EVENTS["postgresql"]
    )


@pytest.mark.postgres
def test_revision_triggers_fire_once_per_statement_on_every_kind_of_change():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname, t.tgtype, t.tgenabled, p.proname,
                   t.tgoldtable IS NOT NULL, t.tgnewtable IS NOT NULL
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND (t.tgname LIKE %s OR p.proname LIKE %s)
            ORDER BY c.relname, t.tgname
            """,
            [REVISION_NAMES, REVISION_NAMES],
        )
        installed = cursor.fetchall()
    referencing = {
        "insert": (False, True),
        "update": (True, True),
        "delete": (True, False),
        "truncate": (False, False),
    }
    assert installed == sorted(
        (
            table,
            revision_trigger(table, event),
            AFTER_EACH_STATEMENT[event],
            "O",
            revision_function(table),
            *referencing[event],
        )
        for table in public_tables()
        for event in EVENTS["postgresql"]
    )


def test_every_public_table_and_no_other_has_the_revision_triggers_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master "
            "WHERE type = 'trigger' AND sql LIKE '%stories_archive_revision%' "
            "ORDER BY tbl_name, name"
        )
        installed = cursor.fetchall()
    assert installed == sorted(
        (table, revision_trigger(table, event))
        for table in public_tables()
        for event in EVENTS["sqlite"]
    )


@pytest.mark.postgres
def test_the_search_triggers_the_code_names_are_exactly_those_installed():
    prefix = r"stories\_story\_search%"
    installed = pg_triggers("t.tgname LIKE %s OR p.proname LIKE %s", [prefix, prefix])
    assert [(table, trigger) for table, trigger, _, _ in installed] == sorted(
        SEARCH_TRIGGERS.items()
    )


# What moves the archive revision, and what does not.


def revision():
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM stories_archive_revision WHERE id = 1")
        return cursor.fetchone()[0]


def moves(change):
    """Whether `change()` moves the archive revision."""
    before = revision()
    change()
    return revision() != before


@pytest.fixture
def archive():
    """A published story and a draft, each with its own place, performer, source and post;
    a region and a country that only a published story's city is in; a withdrawn story."""
    sicily = factories.region("Sicily", "IT")
    palermo = factories.city("Palermo", region=sicily)
    seen = factories.story(
        "Published",
        slug="published",
        day=datetime.date(2020, 3, 14),
        cities=[palermo],
        performers=[factories.performer("Seen Singer")],
        sources=[factories.source("seen-source")],
    )
    factories.post(seen, url="https://twitter.com/a/status/1", text="seen")
    andorra = factories.country("AD", "Andorra")
    pyrenees = Region.objects.create(name="Pyrenees", slug="pyrenees", country=andorra)
    hidden_city = factories.city("Ordino", "AD", region=pyrenees)
    draft = factories.story(
        "Draft",
        slug="draft",
        status=Story.Status.DRAFT,
        day=datetime.date(2020, 3, 15),
        cities=[hidden_city],
        performers=[factories.performer("Hidden Singer")],
        sources=[factories.source("hidden-source")],
    )
    factories.post(draft, url="https://twitter.com/b/status/2", text="hidden")
    withdrawn = factories.story("Withdrawn", slug="withdrawn", status=Story.Status.WITHDRAWN)
    return {"seen": seen, "draft": draft, "withdrawn": withdrawn}


def test_editing_a_published_story_moves_the_revision(archive):
    assert moves(lambda: Story.objects.filter(slug="published").update(summary="New"))


def test_publishing_a_draft_moves_the_revision(archive):
    assert moves(
        lambda: Story.objects.filter(slug="draft").update(
            status=Story.Status.PUBLISHED, published_at=datetime.datetime.now(datetime.UTC)
        )
    )


def test_withdrawing_a_published_story_moves_the_revision(archive):
    assert moves(lambda: Story.objects.filter(slug="published").update(status="withdrawn"))


def test_a_post_of_a_published_story_moves_the_revision(archive):
    seen = archive["seen"]
    assert moves(lambda: factories.post(seen, text="another"))
    assert moves(lambda: LinkedPost.objects.filter(story=seen).update(text="edited"))
    assert moves(lambda: LinkedPost.objects.filter(story=seen).delete())


def test_a_link_of_a_published_story_moves_the_revision(archive):
    seen = archive["seen"]
    florence = factories.city("Florence")
    assert moves(lambda: seen.cities.add(florence))
    assert moves(lambda: seen.cities.remove(florence))
    assert moves(lambda: seen.performers.add(factories.performer("Another")))
    assert moves(lambda: seen.regions.add(factories.region("Tuscany")))
    assert moves(lambda: seen.countries.add(factories.country("FR", "France")))
    assert moves(lambda: seen.sources.clear())


@pytest.mark.parametrize(
    "change",
    [
        lambda: City.objects.filter(slug="palermo").update(name="Palermo!"),
        lambda: Region.objects.filter(slug="sicily").update(name="Sicilia"),
        lambda: Country.objects.filter(code="IT").update(name="Italia"),
        lambda: Performer.objects.filter(slug="seen-singer").update(role="tenor"),
        lambda: SourceArticle.objects.filter(slug="seen-source").update(title="Seen"),
    ],
    ids=["city", "region through its city", "country through a city", "performer", "source"],
)
def test_what_a_published_story_links_moves_the_revision(archive, change):
    assert moves(change)


def test_the_country_of_a_region_a_published_story_names_moves_the_revision(archive):
    seen = archive["seen"]
    seen.regions.add(Region.objects.get(slug="pyrenees"))
    assert moves(lambda: Country.objects.filter(code="AD").update(name="Andorre"))


def test_creating_a_draft_leaves_the_revision_alone(archive):
    assert not moves(lambda: factories.story("Another draft", status=Story.Status.DRAFT))


def test_editing_a_draft_leaves_the_revision_alone(archive):
    assert not moves(lambda: Story.objects.filter(slug="draft").update(summary="New"))


def test_submitting_a_draft_for_review_leaves_the_revision_alone(archive):
    assert not moves(lambda: Story.objects.filter(slug="draft").update(status="review"))


def test_editing_a_withdrawn_story_leaves_the_revision_alone(archive):
    assert not moves(lambda: Story.objects.filter(slug="withdrawn").update(summary="New"))


def test_deleting_a_draft_leaves_the_revision_alone(archive):
    assert not moves(lambda: archive["draft"].delete())


def test_a_post_of_a_draft_leaves_the_revision_alone(archive):
    draft = archive["draft"]
    assert not moves(lambda: factories.post(draft, text="another"))
    assert not moves(lambda: LinkedPost.objects.filter(story=draft).update(text="edited"))
    assert not moves(lambda: LinkedPost.objects.filter(story=draft).delete())


def test_a_link_of_a_draft_leaves_the_revision_alone(archive):
    draft = archive["draft"]
    assert not moves(lambda: draft.cities.add(factories.city("Florence")))
    assert not moves(lambda: draft.performers.clear())
    assert not moves(lambda: draft.sources.clear())


def test_creating_a_performer_no_published_story_names_leaves_the_revision_alone(archive):
    assert not moves(lambda: factories.performer("Nobody Yet"))


@pytest.mark.parametrize(
    "change",
    [
        lambda: City.objects.filter(slug="ordino").update(name="Ordino!"),
        lambda: Region.objects.filter(slug="pyrenees").update(name="Pirineus"),
        lambda: Country.objects.filter(code="AD").update(name="Andorre"),
        lambda: Performer.objects.filter(slug="hidden-singer").update(role="tenor"),
        lambda: SourceArticle.objects.filter(slug="hidden-source").update(title="Hidden"),
        lambda: factories.city("Nowhere", "AD"),
    ],
    ids=["city", "region", "country", "performer", "source", "new city"],
)
def test_what_only_a_draft_links_leaves_the_revision_alone(archive, change):
    assert not moves(change)


def fill_search_vector(slug):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE stories_story "
            "SET search_vector = stories_story_search_vector(id, title, summary, body) "
            "WHERE slug = %s",
            [slug],
        )


@pytest.mark.postgres
def test_filling_a_drafts_search_vector_leaves_the_revision_alone(archive):
    assert not moves(lambda: fill_search_vector("draft"))


@pytest.mark.postgres
def test_filling_a_published_storys_search_vector_moves_the_revision(archive):
    """A search finds it from then on, and the list's "catching up" count changes."""
    assert moves(lambda: fill_search_vector("published"))


@pytest.mark.postgres
def test_truncating_a_public_table_moves_the_revision():
    # (on an empty archive: PostgreSQL refuses TRUNCATE with the test's inserts' deferred
    # foreign-key checks pending)
    def truncate():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE stories_story_performers")

    assert moves(truncate)


def test_a_bulk_load_moves_the_revision_and_leaves_every_trigger_on():
    """PostgreSQL pauses the revision triggers for the load (their checks, planned on a story
    table without statistics, made a load's time grow with the square of its size) and moves
    the revision once at the end; SQLite's fire as usual."""
    from stories.interchange.synthetic import generate_archive

    assert moves(lambda: generate_archive(30, seed=2))
    if connection.vendor == "postgresql":
        disabled = pg_triggers("tgname LIKE %s AND tgenabled = 'D'", ["%_revision_%"])
        assert disabled == []
    assert moves(lambda: Story.objects.published().first().save())
