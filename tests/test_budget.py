"""The time budget of optional counts (browse/budget.py), with real slow queries."""

import dataclasses
import datetime
import time

import pytest
from django.db import connection
from django.urls import reverse

from browse import caching, facets
from browse.budget import Deadline, OutOfTime, time_limit
from tests import factories

pytestmark = pytest.mark.django_db


def slow_query():
    """A statement that runs for seconds on either database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(5)")
        else:
            cursor.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 100000000) SELECT COUNT(*) FROM n"
            )


def test_a_slow_query_is_stopped_at_the_deadline_and_the_connection_still_works():
    with pytest.raises(OutOfTime), time_limit(Deadline(0.2)):
        slow_query()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.postgres
def test_the_connection_keeps_its_own_statement_timeout_afterwards():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    with time_limit(Deadline(0.5)), connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != before
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
    with pytest.raises(OutOfTime), time_limit(Deadline(0.2)):
        slow_query()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before


def test_work_that_finishes_in_time_is_not_disturbed():
    with time_limit(Deadline(30)), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_spent_deadline_runs_nothing():
    with pytest.raises(OutOfTime), time_limit(Deadline(0)):
        raise AssertionError("the block must not run")  # pragma: no cover


def test_facets_that_do_not_fit_the_budget_are_named_and_cached_only_briefly(
    client, settings, monkeypatch
):
    """The page still answers, with its stories and total, and says which facets it left
    out; the next request, with time enough, counts them."""
    factories.story("Tenor sings", day=datetime.date(2020, 3, 14), cities=[factories.city()])
    settings.FACET_TIME_BUDGET = 0.2
    usual = facets.FACETS[1].rows

    def slow_city_rows(chosen):
        slow_query()
        return usual(chosen)  # pragma: no cover - never reached

    assert facets.FACETS[1].name == "city"
    slow = dataclasses.replace(facets.FACETS[1], rows=slow_city_rows)
    monkeypatch.setattr(facets, "FACETS", [facets.FACETS[0], slow, *facets.FACETS[2:]])
    monkeypatch.setattr(caching, "PARTIAL_TIMEOUT", 1)
    url = reverse("browse:list") + "?kind=other"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 1
    left_out = page.context["facets_left_out"]
    assert "Cities" in left_out
    assert "Not counted, as there are too many stories to count quickly" in page.text
    assert "Countries" not in left_out  # counted before the budget ran out
    monkeypatch.undo()
    settings.FACET_TIME_BUDGET = 60
    # The page, and its facets, kept for PARTIAL_TIMEOUT (here 1 s), so that the next
    # requests do not each pay the budget again...
    assert "Not counted, as there are too many stories to count quickly" in client.get(url).text
    # ...and counted in full by a request after it.
    time.sleep(1.5)
    again = client.get(url)
    assert again.context["facets_left_out"] == []
    assert "Cities" in [facet.title for facet in again.context["facets"]]
    assert "Not counted" not in again.text
