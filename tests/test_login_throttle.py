"""django-axes: five failed logins for a username from one address lock it out for 15 minutes.

Axes keeps its attempts in the database, so each test starts with none (pytest-django rolls
every test back); other tests log in with force_login, which axes does not see.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editor")]

LOGIN = reverse("admin:login")
PASSWORD = "a-long-test-password"


def log_in(client, password, username="editor", address="192.0.2.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def fail(client, times, **kwargs):
    return [log_in(client, "wrong", **kwargs).status_code for _ in range(times)]


def test_four_failed_logins_do_not_lock_the_account(client):
    assert fail(client, 4) == [200] * 4
    assert log_in(client, PASSWORD).status_code == 302


def test_the_fifth_failed_login_locks_the_account(client):
    assert fail(client, 5) == [200, 200, 200, 200, 429]


def test_five_failed_logins_lock_the_username_out_even_with_the_right_password(client):
    fail(client, 5)
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "15 minutes" in response.text


def test_the_lock_is_for_that_address_only(client):
    fail(client, 5)
    assert log_in(client, PASSWORD, address="198.51.100.7").status_code == 302


def test_the_lock_is_for_that_username_only(client):
    factories.user("contributor", group="Contributors")
    fail(client, 5)
    assert log_in(client, PASSWORD, username="contributor").status_code == 302


def test_the_lock_lifts_by_itself_after_fifteen_minutes(client):
    fail(client, 5)
    assert log_in(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lock_still_holds_after_fourteen_minutes(client):
    fail(client, 5)
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=14)
    )
    assert log_in(client, PASSWORD).status_code == 429
