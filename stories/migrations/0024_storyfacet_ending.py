"""The facet rows of the wide keys (every story, a country, a platform) by end date, so that
a date range narrowed by its first day is one index range (stories/facts.py,
FACET_INDEXES), and on PostgreSQL the same for the stories of the sample
(stories/sample.py)."""

from django.db import migrations, models

from stories.sample import FACET_INDEXES

SAMPLE_ENDING = "stories_storyfacet_sample_ending"


def create_sample_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # (as 0015's)
        schema_editor.execute(FACET_INDEXES[SAMPLE_ENDING])


def drop_sample_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SAMPLE_ENDING}")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0023_sample_facet"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="storyfacet",
            index=models.Index(
                condition=models.Q(("facet__in", ["story", "country", "platform"])),
                fields=["facet", "key", "end_date", "start_date", "kind", "story_id"],
                name="stories_storyfacet_ending",
            ),
        ),
        migrations.RunPython(create_sample_index, drop_sample_index, elidable=False),
    ]
