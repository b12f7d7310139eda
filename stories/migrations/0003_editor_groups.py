"""The two editorial groups; their names are part of the contract.

Contributors write drafts and submit them for review; Editors do everything, including
publishing and withdrawing (`stories.publish_story`). Object-level limits (a Contributor
cannot edit a published story) are enforced by the admin on top of these permissions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = ("add", "change", "delete", "view")
EDITORIAL_MODELS = (
    "story",
    "linkedpost",
    "city",
    "region",
    "country",
    "performer",
    "sourcearticle",
)

GROUPS = {
    "Editors": [f"{action}_{model}" for model in EDITORIAL_MODELS for action in ALL]
    + ["publish_story"],
    "Contributors": [
        *(f"{action}_story" for action in ALL),
        *(f"{action}_linkedpost" for action in ALL),
        "view_city",
        "view_region",
        "view_country",
        "view_performer",
        "add_performer",
        "view_sourcearticle",
        "add_sourcearticle",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        permissions = list(
            Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
        )
        missing = set(codenames) - {permission.codename for permission in permissions}
        if missing:
            raise RuntimeError(f"Permissions missing for group {name}: {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0002_workflow_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
