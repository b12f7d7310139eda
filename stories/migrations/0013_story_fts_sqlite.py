"""Ranked, stemmed full-text search on SQLite: an FTS5 table of the published stories, the
triggers that keep it, filled from the stories already there (stories/search.py). A no-op
on PostgreSQL, which searches with the stored vectors of 0004 and 0007.

The model StorySearchDocument is unmanaged: it names the FTS5 table so that the story list
can join it; this migration creates the table itself, on SQLite only."""

import django.db.models.deletion
from django.db import migrations, models

import stories.models
from stories import search
from stories.models import before_hidden_posts


def install(apps, schema_editor):
    with before_hidden_posts():  # (the column comes in stories 0021)
        if schema_editor.connection.vendor == "sqlite":
            search.install_fts_index(schema_editor)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        search.uninstall_fts_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0012_facts"),
    ]

    operations = [
        migrations.CreateModel(
            name="StorySearchDocument",
            fields=[
                (
                    "story",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="stories.story",
                    ),
                ),
                ("document", stories.models.FullTextDocument(db_column="stories_story_fts")),
            ],
            options={
                "db_table": "stories_story_fts",
                "managed": False,
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
