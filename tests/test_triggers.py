"""The database triggers behind derived state match what the code says they are.

The archive revision (public pages' ETags) and the search vectors are kept by triggers that
migrations install; the code names the tables and triggers in stories/revision.py and
stories/search.py. These tests read the installed triggers back from the database.
"""

import pytest
from django.db import connection

from stories.revision import BUMP_FUNCTION, public_tables, revision_trigger
from stories.search import SEARCH_TRIGGERS

pytestmark = pytest.mark.django_db

# pg_trigger.tgtype bits: 1 row (else statement), 2 before, 4 insert, 8 delete, 16 update,
# 32 truncate, 64 instead of.
AFTER_EVERY_CHANGE_FOR_EACH_STATEMENT = 4 | 8 | 16 | 32


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


@pytest.mark.postgres
def test_every_public_table_and_no_other_has_the_revision_trigger():
    installed = pg_triggers("p.proname = %s", [BUMP_FUNCTION])
    assert [(table, trigger) for table, trigger, _, _ in installed] == [
        (table, revision_trigger(table)) for table in public_tables()
    ]


@pytest.mark.postgres
def test_revision_triggers_fire_once_per_statement_on_every_kind_of_change():
    installed = pg_triggers("p.proname = %s", [BUMP_FUNCTION])
    assert [(table, kind, enabled) for table, _, kind, enabled in installed] == [
        (table, AFTER_EVERY_CHANGE_FOR_EACH_STATEMENT, "O") for table in public_tables()
    ]


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
    assert installed == [
        (table, f"{revision_trigger(table)}_{event}")
        for table in public_tables()
        for event in ("delete", "insert", "update")
    ]


@pytest.mark.postgres
def test_the_search_triggers_the_code_names_are_exactly_those_installed():
    prefix = r"stories\_story\_search%"
    installed = pg_triggers("t.tgname LIKE %s OR p.proname LIKE %s", [prefix, prefix])
    assert [(table, trigger) for table, trigger, _, _ in installed] == sorted(
        SEARCH_TRIGGERS.items()
    )
