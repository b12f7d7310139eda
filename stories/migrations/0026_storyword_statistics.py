"""Statistics for the 2,000 commonest words of the word rows (stories/facts.py,
WORD_STATISTICS), gathered now; PostgreSQL only, as the word tables (migration 0020)."""

from django.db import migrations

from stories.facts import WORD_STATISTICS, WORD_TABLE


def gather(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WORD_STATISTICS)
        schema_editor.execute(f"ANALYZE {WORD_TABLE}")


def default_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {WORD_TABLE} ALTER COLUMN lexeme SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0025_storyfacet_sample_bucket"),
    ]

    operations = [
        migrations.RunPython(gather, default_statistics, elidable=False),
    ]
