"""The archive revision: which changes move it, and the triggers that move it.

Public pages carry an ETag built from one number, `stories_archive_revision` (see
browse/caching.py), and cache their facet counts under it. Database triggers raise it when a
change touches what an anonymous visitor can see, whichever way the change comes (admin,
imports, bulk loads, raw SQL). Changes nobody outside can see leave it alone, so editors at
work on drafts neither empty every cache nor tell the world, through the ETag, that they are
at work (issue 10, defect 7).

A change is visible when a row it inserts, updates or deletes, before or after the change, is
(`VISIBLE_ROWS`, one SQL condition per public table):

- a published story (so publishing, editing a published story, withdrawing it or sending it
  back to review all count; a draft, in review or withdrawn story does not);
- a post, or a link to a city, region, country, performer or source, of a published story;
- a city, performer or source a published story links; a region a published story links
  directly or through one of its cities; a country a published story links directly, through
  a city (the city's country or its region's country) or through a region.

A TRUNCATE always counts. The status is read when the statement ends, so a transaction that
edits a draft's posts and then publishes it moves the revision with the publication.

`public_tables()` is THE rule for which tables public pages read, from the models, so that a
new model or many-to-many field counts without anyone remembering to list it; the tests
(tests/test_triggers.py) then fail until it has a rule here and a migration installs its
triggers. Migration 0004 installed triggers that fired on every change; migration 0011
replaced them with these, through `install_revision_triggers()`:

- PostgreSQL: per table, one statement-level trigger per event (`<table>_revision_insert`,
  `_update`, `_delete`, `_truncate`), each seeing the statement's rows as transition tables
  (`new_rows`, `old_rows`): a bulk load's COPY of 10,000 rows is one check, not 10,000. They
  run one function per table, `<table>_revision_bump`.
- SQLite (row triggers only): `<table>_revision_insert`, `_update`, `_delete`, each with the
  condition as its WHEN clause. SQLite drops a table's triggers when Django rebuilds the table
  (adding a constraint, say); such a migration must call `install_revision_triggers()` for the
  table again (0010 did the same for 0004's triggers).
"""

from django.apps import apps
from simple_history.models import HistoricalChanges

from stories.models import shown_post

REVISION_TABLE = "stories_archive_revision"
BUMP = f"UPDATE {REVISION_TABLE} SET number = number + 1 WHERE id = 1"

EVENTS = {
    "postgresql": ("insert", "update", "delete", "truncate"),
    "sqlite": ("insert", "update", "delete"),
}


# The apps whose tables public pages read (preservation: a post's copies and link checks).
PUBLIC_APPS = ("stories", "preservation")


def is_public(model):
    """Whether public pages read `model`'s table: every model of PUBLIC_APPS except
    the curators' history (django-simple-history's Historical* models, the history of a
    story's many-to-many links included) and LoadRecord, the log of bulk loads, which only
    the admin reads; and the facet tables (stories/facts.py), which public pages read but
    which only follow the public tables: the change that alters them has moved the revision
    already; so does SQLite's full-text index (StorySearchDocument, stories/search.py)."""
    from stories.models import (
        FacetPending,
        FacetSpan,
        FacetTotal,
        LoadRecord,
        StoryFacet,
        StorySearchDocument,
    )

    if model._meta.label == "preservation.CorrectionRequest":
        return False  # (visitors' requests: only editors read them)
    return not issubclass(
        model,
        HistoricalChanges
        | LoadRecord
        | StoryFacet
        | FacetTotal
        | FacetSpan
        | FacetPending
        | StorySearchDocument,
    )


def public_tables():
    """The database tables of the public models and of their many-to-many links, sorted."""
    tables = set()
    models = (m for label in PUBLIC_APPS for m in apps.get_app_config(label).get_models())
    for model in models:
        if not is_public(model):
            continue
        tables.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables)


# The conditions are SQL over one row, `row` ("NEW" or "OLD" in an SQLite trigger, an alias
# of a transition table on PostgreSQL). Aliases: s stories, l links, c cities, g regions.


def _published(story_id):
    """The story `story_id` is published."""
    return (
        f"EXISTS (SELECT 1 FROM stories_story s WHERE s.id = {story_id} AND s.status = 'published')"
    )


def _linked(through, column, key):
    """A published story links `key` through the many-to-many table `through`. (Nested
    EXISTS rather than a join: SQLite, without statistics, would scan every published
    story for the link instead of reading the few links of `key`.)"""
    return (
        f"EXISTS (SELECT 1 FROM {through} l WHERE l.{column} = {key} "
        f"AND {_published('l.story_id')})"
    )


def _region_seen(region_id):
    """A published story names the region directly or through one of its cities."""
    return (
        f"({_linked('stories_story_regions', 'region_id', region_id)} OR "
        f"EXISTS (SELECT 1 FROM stories_city c WHERE c.region_id = {region_id} "
        f"AND {_linked('stories_story_cities', 'city_id', 'c.id')}))"
    )


def _country_seen(country_id):
    return (
        f"({_linked('stories_story_countries', 'country_id', country_id)} OR "
        f"EXISTS (SELECT 1 FROM stories_city c WHERE c.country_id = {country_id} "
        f"AND {_linked('stories_story_cities', 'city_id', 'c.id')}) OR "
        f"EXISTS (SELECT 1 FROM stories_region g WHERE g.country_id = {country_id} "
        f"AND {_region_seen('g.id')}))"
    )


def _post_seen(post_id):
    """The post `post_id` is not hidden and belongs to a published story."""
    return (
        f"EXISTS (SELECT 1 FROM stories_linkedpost p WHERE p.id = {post_id} "
        f"AND {shown_post('p')} AND {_published('p.story_id')})"
    )


VISIBLE_ROWS = {
    "stories_story": lambda row: f"{row}.status = 'published'",
    "stories_linkedpost": lambda row: f"({shown_post(row)} AND {_published(f'{row}.story_id')})",
    "stories_story_cities": lambda row: _published(f"{row}.story_id"),
    "stories_story_regions": lambda row: _published(f"{row}.story_id"),
    "stories_story_countries": lambda row: _published(f"{row}.story_id"),
    "stories_story_performers": lambda row: _published(f"{row}.story_id"),
    "stories_story_sources": lambda row: _published(f"{row}.story_id"),
    "stories_city": lambda row: _linked("stories_story_cities", "city_id", f"{row}.id"),
    "stories_region": lambda row: _region_seen(f"{row}.id"),
    "stories_country": lambda row: _country_seen(f"{row}.id"),
    "stories_performer": lambda row: _linked(
        "stories_story_performers", "performer_id", f"{row}.id"
    ),
    "stories_sourcearticle": lambda row: _linked(
        "stories_story_sources", "sourcearticle_id", f"{row}.id"
    ),
    "preservation_archivedcopy": lambda row: _post_seen(f"{row}.post_id"),
    "preservation_linkcheck": lambda row: (
        f"({_post_seen(f'{row}.post_id')} OR "
        f"{_linked('stories_story_sources', 'sourcearticle_id', f'{row}.source_id')})"
    ),
}


def revision_trigger(table, event):
    return f"{table}_revision_{event}"


def revision_triggers(table, vendor):
    """The names of `table`'s revision triggers on `vendor` ("postgresql" or "sqlite")."""
    return [revision_trigger(table, event) for event in EVENTS[vendor]]


def revision_function(table):
    """The PostgreSQL function `table`'s revision triggers run."""
    return f"{table}_revision_bump"


def _postgresql_sql(table):
    visible = VISIBLE_ROWS[table]("r")
    function = revision_function(table)
    # Nested IFs: PL/pgSQL plans each query when it first runs, and an INSERT trigger has
    # no old_rows to plan a query over.
    yield f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'TRUNCATE' THEN
            {BUMP};
          ELSIF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM new_rows r WHERE {visible}) THEN {BUMP}; END IF;
          ELSIF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM old_rows r WHERE {visible}) THEN {BUMP}; END IF;
          ELSIF EXISTS (SELECT 1 FROM old_rows r WHERE {visible}) THEN
            {BUMP};
          ELSIF EXISTS (SELECT 1 FROM new_rows r WHERE {visible}) THEN
            {BUMP};
          END IF;
          RETURN NULL;
        END
        $$ LANGUAGE plpgsql
    """
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
        "truncate": "",
    }
    for event in EVENTS["postgresql"]:
        yield (
            f"CREATE TRIGGER {revision_trigger(table, event)} AFTER {event.upper()} ON {table} "
            f"{referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def _sqlite_sql(table):
    visible = VISIBLE_ROWS[table]
    when = {
        "insert": visible("NEW"),
        "update": f"{visible('OLD')} OR {visible('NEW')}",
        "delete": visible("OLD"),
    }
    for event in EVENTS["sqlite"]:
        yield (
            f"CREATE TRIGGER {revision_trigger(table, event)} AFTER {event.upper()} ON {table} "
            f"WHEN {when[event]} BEGIN {BUMP}; END"
        )


def install_revision_triggers(schema_editor, tables):
    """Create the revision triggers of `tables` (replacing any of the same name)."""
    vendor = schema_editor.connection.vendor
    uninstall_revision_triggers(schema_editor, tables)
    for table in tables:
        statements = _postgresql_sql(table) if vendor == "postgresql" else _sqlite_sql(table)
        for statement in statements:
            schema_editor.execute(statement)


def uninstall_revision_triggers(schema_editor, tables):
    vendor = schema_editor.connection.vendor
    for table in tables:
        for name in revision_triggers(table, vendor):
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {revision_function(table)}()")


def pause_revision_triggers(connection):
    """PostgreSQL, inside a bulk load's transaction: the revision triggers of every public
    table off; `resume_revision_triggers()` switches them back on and moves the revision
    once. Each COPY of a load is one statement, but its check is planned while the story
    table, created empty, has no statistics: the plan scanned the stories loaded so far for
    each row copied until it met a published one, and a load's time grew with the square of
    its size (`generate_archive`: 22 s for 20,000 stories, 814 s for 100,000)."""
    with connection.cursor() as cursor:
        for table in public_tables():
            for name in revision_triggers(table, "postgresql"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")


def resume_revision_triggers(connection):
    with connection.cursor() as cursor:
        for table in public_tables():
            for name in revision_triggers(table, "postgresql"):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        cursor.execute(BUMP)  # (what the paused triggers would have done, once)
