"""Copies and link checks: the database refuses to alter them, their public rows move the
archive's revision, and the editorial groups get their permissions.

Editors: add copies (uploads), change them (hide one, with a reason: the one change the
database allows), view them and the link checks. Contributors: view both. Nobody deletes a
copy or a check (the admin offers no delete; the archive keeps its copies), and nobody edits
a check.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from preservation import immutable
from stories.revision import install_revision_triggers, uninstall_revision_triggers

TABLES = ["preservation_archivedcopy", "preservation_linkcheck"]

GROUPS = {
    "Editors": ["add_archivedcopy", "change_archivedcopy", "view_archivedcopy", "view_linkcheck"],
    "Contributors": ["view_archivedcopy", "view_linkcheck"],
}


def install(apps, schema_editor):
    immutable.install(schema_editor)
    install_revision_triggers(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    immutable.uninstall(schema_editor)
    uninstall_revision_triggers(schema_editor, TABLES)


def grant(apps, schema_editor):
    app_config = apps.get_app_config("preservation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:  # (a database whose editors renamed or removed the group)
            continue
        permissions = Permission.objects.filter(
            content_type__app_label="preservation", codename__in=codenames
        )
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="preservation"))


class Migration(migrations.Migration):
    dependencies = [
        ("preservation", "0001_initial"),
        ("stories", "0020_story_words"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(grant, revoke),
    ]
