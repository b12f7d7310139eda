"""Spans (stories/facts.py, FacetSpan): per wide facet key, kind and day, how many published
stories start and end that day, so that a date range's stories under a country are two sums
(browse/facets.py, story_count), not a walk through the country's facet rows. Filled from the
facet rows already there; bring_up_to_date() keeps them from then on."""

from django.db import migrations, models

from stories import facts


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        facts.fill_spans(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0015_storyfacet_sample"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetSpan",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "facet",
                        "key",
                        "kind",
                        "day",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("facet", models.CharField(max_length=12)),
                ("key", models.CharField(max_length=20)),
                ("kind", models.CharField(max_length=20)),
                ("day", models.DateField()),
                ("starts", models.BigIntegerField()),
                ("ends", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
