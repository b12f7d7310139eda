"""The tables public pages read, which every change must mark with a new archive revision.

Public pages carry an ETag built from one number, `stories_archive_revision` (see
browse/caching.py), and cache their facet counts under it. Database triggers raise it on any
insert, update, delete or truncate of a public table, whichever way the change comes (admin,
imports, bulk loads, raw SQL): migration 0004_story_search installs them, one per table,
named `<table>_revision`. A public table without its trigger would serve stale pages.

`public_tables()` is THE rule for which tables those are, read from the models, so that a new
model or many-to-many field counts as public without anyone remembering to list it; the tests
(tests/test_triggers.py) then fail until a migration gives its table the trigger.
"""

from django.apps import apps
from simple_history.models import HistoricalChanges

# The function each table's revision trigger executes (migration 0004).
BUMP_FUNCTION = "stories_archive_revision_bump"


def is_public(model):
    """Whether public pages read `model`'s table: every model of the stories app except
    the curators' history (django-simple-history's Historical* models, the history of a
    story's many-to-many links included) and LoadRecord, the log of bulk loads. Only the
    admin reads those."""
    from stories.models import LoadRecord

    return not issubclass(model, HistoricalChanges | LoadRecord)


def public_tables():
    """The database tables of the public models and of their many-to-many links, sorted."""
    tables = set()
    for model in apps.get_app_config("stories").get_models():
        if not is_public(model):
            continue
        tables.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables)


def revision_trigger(table):
    """The name of `table`'s revision trigger on PostgreSQL (on SQLite, which has row
    triggers only, one per event: `<name>_insert`, `_update`, `_delete`)."""
    return f"{table}_revision"
