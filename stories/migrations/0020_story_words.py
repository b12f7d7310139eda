"""The words of the published stories and their counts (stories/facts.py, PostgreSQL only),
so that a search for one word counts and ranks its stories from an index: a row per story and
lexeme of its search vector, and the totals per lexeme, in all and per country. The story
trigger now notes a story whose search vector changes."""

from django.db import migrations


def add_words(apps, schema_editor):
    from stories import facts

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [facts.LOCK_KEY])
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        facts.fill_words(cursor)
    facts.install_triggers(schema_editor)


def remove_words(apps, schema_editor):
    from stories import facts

    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TABLE IF EXISTS {facts.WORD_TABLE}, {facts.WORD_TOTAL_TABLE}")
    facts.install_triggers(schema_editor)  # (today's, which note vector changes too)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0019_region_facet"),
    ]

    operations = [
        migrations.RunPython(add_words, remove_words, elidable=True),
    ]
