"""Copies and link checks: the database refuses to alter them, their public rows move the
archive's revision, and the editorial groups get their permissions.

Editors: add copies (uploads), change them (hide one, with a reason: the one change the
database allows), view them and the link checks. Contributors: view both. Nobody deletes a
copy or a check (the admin offers no delete; the archive keeps its copies), and nobody edits
a check.
"""

from django.db import migrations

from preservation import groups, immutable
from stories.models import before_hidden_posts
from stories.revision import install_revision_triggers, uninstall_revision_triggers

TABLES = ["preservation_archivedcopy", "preservation_linkcheck"]

GROUPS = {
    "Editors": ["add_archivedcopy", "change_archivedcopy", "view_archivedcopy", "view_linkcheck"],
    "Contributors": ["view_archivedcopy", "view_linkcheck"],
}


def install(apps, schema_editor):
    immutable.install(schema_editor)
    with before_hidden_posts():  # (the posts' hidden column comes in stories 0021)
        install_revision_triggers(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    immutable.uninstall(schema_editor)
    uninstall_revision_triggers(schema_editor, TABLES)


def grant(apps, schema_editor):
    groups.grant(apps, GROUPS)


def revoke(apps, schema_editor):
    groups.revoke(apps, GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("preservation", "0001_initial"),
        ("stories", "0020_story_words"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(grant, revoke),
    ]
