"""Giving the editorial groups (stories migration 0003) their preservation permissions, from
migrations: `grant(apps, {"Editors": [codename, ...]})`."""

from django.contrib.auth.management import create_permissions


def grant(apps, groups):
    app_config = apps.get_app_config("preservation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group = Group.objects.filter(name=name).first()
        if group is None:  # (a database whose editors renamed or removed the group)
            continue
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="preservation", codename__in=codenames
            )
        )


def revoke(apps, groups):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=groups):
        for codenames in groups.values():
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="preservation", codename__in=codenames
                )
            )
