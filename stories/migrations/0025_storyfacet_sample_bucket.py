"""The facet rows of the sample by key in bucket order (stories/sample.py), so that a broad
selection's sample is the first rows of one index range, not a sort of all of them; on
PostgreSQL only, as the sample's other indexes (migration 0015)."""

from django.db import migrations

from stories.sample import FACET_INDEXES

SAMPLE_BUCKET = "stories_storyfacet_sample_bucket"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FACET_INDEXES[SAMPLE_BUCKET])


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SAMPLE_BUCKET}")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0024_storyfacet_ending"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
