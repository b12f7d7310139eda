import datetime

import pytest
from django.urls import reverse

from stories.models import LoadRecord

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise notes that collectstatic has not run; these tests do not need it.
    pytest.mark.filterwarnings("ignore:No directory at"),
]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Admin pages name static files; tests run without collectstatic's manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def record():
    started = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
    return LoadRecord.objects.create(
        command="load_archive",
        source="/srv/archive.jsonl",
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=80),
        counts={"stories.story": 1000000},
    )


def test_load_records_are_listed_in_the_admin(admin_client, record):
    response = admin_client.get(reverse("admin:stories_loadrecord_changelist"))
    assert response.status_code == 200
    assert "/srv/archive.jsonl" in response.content.decode()


def test_load_records_cannot_be_added_by_hand(admin_client):
    response = admin_client.get(reverse("admin:stories_loadrecord_add"))
    assert response.status_code == 403


def test_load_records_cannot_be_deleted(admin_client, record):
    response = admin_client.post(reverse("admin:stories_loadrecord_delete", args=[record.pk]))
    assert response.status_code == 403
    assert LoadRecord.objects.filter(pk=record.pk).exists()


def test_a_load_record_can_be_read(admin_client, record):
    response = admin_client.get(reverse("admin:stories_loadrecord_change", args=[record.pk]))
    assert response.status_code == 200
    assert "1000000" in response.content.decode()
