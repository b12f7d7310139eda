"""The facet rows of the stories in the fixed sample (stories/sample.py), on PostgreSQL: two
partial indexes, by what a selection reads and by story, so that a facet over a wide selection the facet rows
make (a kind, a country and dates: 280,000 of a million stories) is estimated on the 2% of
its rows in the sample, read from an index of that 2%, rather than counted over all of them.
SQLite, with a tenth of the rows, reads the selection's range of the full index."""

from django.db import migrations

from stories.sample import FACET_INDEXES

INDEXES = ("stories_storyfacet_sample", "stories_storyfacet_sample_story")  # (0024 adds one)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(FACET_INDEXES[name])


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0014_story_sample"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
