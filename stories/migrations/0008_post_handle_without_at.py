"""A post's handle never starts with "@", on every path that writes posts.

LinkedPost.save() used to strip the "@"; bulk loads and raw SQL skip save(), so the rule
moves into the database as a named check constraint (LinkedPost.normalise() still strips
the "@" for the admin and the importer). Rows that a bulk load may have let through are
fixed first, so that the constraint can be added.

SQLite cannot add a constraint to a table: Django copies the table into a new one and
drops the old one, and with it the archive-revision triggers of migration 0004 (SQLite's
row triggers belong to their table). They are created again after the copy, each way.
"""

from django.db import migrations, models


def strip_at_signs(apps, schema_editor):
    LinkedPost = apps.get_model("stories", "LinkedPost")
    for post in LinkedPost.objects.filter(handle__startswith="@").only("handle"):
        post.handle = post.handle.lstrip("@")
        post.save(update_fields=["handle"])


def recreate_sqlite_revision_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the table in place and keeps its trigger
    bump = "UPDATE stories_archive_revision SET number = number + 1 WHERE id = 1"
    for event in ("INSERT", "UPDATE", "DELETE"):
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS stories_linkedpost_revision_{event.lower()} "
            f"AFTER {event} ON stories_linkedpost BEGIN {bump}; END"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0007_story_search_vector_function"),
    ]

    operations = [
        migrations.RunPython(strip_at_signs, recreate_sqlite_revision_triggers),
        migrations.AddConstraint(
            model_name="linkedpost",
            constraint=models.CheckConstraint(
                condition=models.Q(("handle__startswith", "@"), _negated=True),
                name="stories_post_handle_without_at",
                violation_error_message="Give the handle without the “@”: MuhammadLila, "
                "not @MuhammadLila.",
            ),
        ),
        migrations.RunPython(recreate_sqlite_revision_triggers, migrations.RunPython.noop),
    ]
