"""Facet tables (stories/facts.py): the rows public counts read, their totals, and the
triggers that note the stories a change alters; filled from the stories already there."""

from django.db import migrations, models

from stories import facts
from stories.models import before_hidden_posts


def install(apps, schema_editor):
    with before_hidden_posts():  # (the column comes in stories 0021)
        facts.install_triggers(schema_editor)
        facts.rebuild(indexes=False, spans=False)  # (their table comes in 0016)


def uninstall(apps, schema_editor):
    facts.uninstall_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0011_visible_revision"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetPending",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("story_id", models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="FacetTotal",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "facet",
                        "key",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("facet", models.CharField(max_length=12)),
                ("key", models.CharField(max_length=20)),
                ("total", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="StoryFacet",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "story_id",
                        "facet",
                        "key",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("story_id", models.IntegerField()),
                ("facet", models.CharField(max_length=12)),
                ("key", models.CharField(max_length=20)),
                ("weight", models.IntegerField(default=1)),
                ("start_date", models.DateField(null=True)),
                ("end_date", models.DateField(null=True)),
                ("kind", models.CharField(max_length=20)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=[
                            "facet",
                            "key",
                            "kind",
                            "start_date",
                            "end_date",
                            "story_id",
                            "weight",
                        ],
                        name="stories_storyfacet_select",
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
