"""The archive revision moves only when what an anonymous visitor can see changes.

Migration 0004's triggers raised the revision on every change to a public table, so an editor
saving a draft changed every public page's ETag and emptied every cache. Its triggers give way
to those of stories/revision.py, which fire only for rows a visitor can see (published
stories, their posts and links, and the places, performers and sources they link): on
PostgreSQL, statement-level triggers that read the statement's rows as transition tables; on
SQLite, row triggers with a WHEN clause. Both ways, back to 0004's triggers on unapply.
"""

from django.db import migrations

from stories.models import before_hidden_posts
from stories.revision import install_revision_triggers, uninstall_revision_triggers

# The public tables as of this migration (0004's list; stories/revision.py derives today's
# from the models, and tests/test_triggers.py compares the two through the database).
PUBLIC_TABLES = [
    "stories_country",
    "stories_region",
    "stories_city",
    "stories_performer",
    "stories_sourcearticle",
    "stories_story",
    "stories_story_cities",
    "stories_story_regions",
    "stories_story_countries",
    "stories_story_performers",
    "stories_story_sources",
    "stories_linkedpost",
]
BUMP = "UPDATE stories_archive_revision SET number = number + 1 WHERE id = 1"


def only_visible_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in PUBLIC_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS stories_archive_revision_bump()")
    with before_hidden_posts():  # (the posts' hidden column comes in 0021)
        install_revision_triggers(schema_editor, PUBLIC_TABLES)


def every_change(apps, schema_editor):
    """Migration 0004's triggers, as they were."""
    uninstall_revision_triggers(schema_editor, PUBLIC_TABLES)
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(
            "CREATE FUNCTION stories_archive_revision_bump() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in PUBLIC_TABLES:
            execute(
                f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION stories_archive_revision_bump()"
            )
    else:
        for table in PUBLIC_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {BUMP}; END"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0010_date_range"),
    ]

    operations = [
        migrations.RunPython(only_visible_changes, every_change),
    ]
