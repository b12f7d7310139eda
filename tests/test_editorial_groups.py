"""The groups the data migration creates: names and permissions are part of the contract."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def codenames(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_migration_creates_contributors_and_editors():
    assert {"Contributors", "Editors"} <= set(Group.objects.values_list("name", flat=True))


def test_only_editors_may_publish():
    assert "publish_story" in codenames("Editors")
    assert "publish_story" not in codenames("Contributors")


def test_editors_may_change_places_performers_and_sources():
    for model in ("city", "region", "performer", "sourcearticle", "linkedpost", "story"):
        assert {f"change_{model}", f"delete_{model}"} <= codenames("Editors")


def test_contributors_may_write_stories_and_posts_but_only_view_places():
    granted = codenames("Contributors")
    assert {"add_story", "change_story", "add_linkedpost", "change_linkedpost"} <= granted
    assert {"view_city", "view_performer", "view_sourcearticle"} <= granted
    assert not {"change_city", "change_performer", "change_sourcearticle"} & granted
