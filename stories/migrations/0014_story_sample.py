"""The fixed sample of stories estimated facet counts read (browse/facets.py, Sample), on
PostgreSQL: a partial index of the published stories in it, and a partial search index of
them, so that finding the sample's matches for a common word reads 2% of what finding all of
them would. SQLite's planner, without statistics, keeps to the status index whatever is
there; at the 100,000 stories it serves the sample's count reads 70,000 index entries."""

from django.db import migrations

from stories.sample import INDEX_SQL, SEARCH_INDEX_SQL


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)
        schema_editor.execute(SEARCH_INDEX_SQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS stories_story_sample")
        schema_editor.execute("DROP INDEX IF EXISTS stories_story_search_sample")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0013_story_fts_sqlite"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
