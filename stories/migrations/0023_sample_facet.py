"""The `sample` facet (stories/facts.py): a row per published story of the fixed sample
(stories/sample.py), keyed by its hash bucket, so that the totals give the number of
published stories in any part of the sample (browse/facets.py, Sample.ratio) without
counting them."""

from django.db import migrations


def add_sample_rows(apps, schema_editor):
    from stories import facts

    facts.add_facet("sample")


def remove_sample_rows(apps, schema_editor):
    from stories import facts

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {facts.FACET_TABLE} WHERE facet = 'sample'")
        cursor.execute(f"DELETE FROM {facts.TOTAL_TABLE} WHERE facet = 'sample'")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0022_three_dates"),
    ]

    operations = [
        migrations.RunPython(add_sample_rows, remove_sample_rows, elidable=True),
    ]
