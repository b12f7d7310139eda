"""A hidden post's copies and link checks are out of the public's sight too: their revision
triggers see a row as public only through a post that is not hidden, of a published story
(`_post_seen` in stories/revision.py; stories migration 0021 added `LinkedPost.hidden`)."""

from django.db import migrations

from stories.revision import install_revision_triggers

TABLES = ["preservation_archivedcopy", "preservation_linkcheck"]


def install(apps, schema_editor):
    install_revision_triggers(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("preservation", "0003_correction_requests"),
        ("stories", "0021_post_hidden"),
    ]

    operations = [
        migrations.RunPython(install, install),
    ]
