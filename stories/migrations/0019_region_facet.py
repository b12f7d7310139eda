"""The `region` facet (stories/facts.py): a row per published story and region it is in,
named or through one of its cities, so a region's page counts and lists its stories from
one index range, as a city's does."""

from django.db import migrations

from stories.models import before_hidden_posts


def add_region_rows(apps, schema_editor):
    from stories import facts

    with before_hidden_posts():  # (the column comes in stories 0021)
        facts.add_facet("region")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0018_story_published_newest"),
    ]

    operations = [
        migrations.RunPython(add_region_rows, migrations.RunPython.noop, elidable=True),
    ]
