"""Bad input on public pages is a 400 naming the field (or a 404), never a 500."""

import logging

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def florence_story():
    return factories.story("Nessun Dorma in Florence", day="2020-03-14", cities=[factories.city()])


def bad_request(client, url, query):
    response = client.get(url, query)
    assert response.status_code == 400
    return response.content.decode()


def names_the_field(html, field, label):
    """The error summary links to the field, and the field is marked invalid."""
    return f'<a href="#id_{field}">{label}</a>:' in html and f'id="error_{field}"' in html


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"date_after": "2020-13-45"}, "date_after", "From"),
        ({"date_before": "yesterday"}, "date_before", "Until"),
        ({"country": "ITALY"}, "country", "Country"),
        ({"country": "ZZ"}, "country", "Country"),
        ({"city": "atlantis"}, "city", "City"),
        ({"performer": "nobody-at-all"}, "performer", "Performer"),
        ({"kind": "juggling"}, "kind", "Kind of act"),
        ({"platform": "myspace"}, "platform", "Posted on"),
        ({"sort": "price"}, "sort", "Order"),
        ({"page": "abc"}, "page", "Page"),
        ({"page": "0"}, "page", "Page"),
        ({"page": "1" * 40}, "page", "Page"),
        ({"q": "x" * 10_000}, "q", "Words"),
        ({"q": "nessun\x00dorma"}, "q", "Words"),
        ({"city": "flor\x00ence"}, "city", "City"),
        ({"country": "I\x00"}, "country", "Country"),
        ({"performer": "9" * 40}, "performer", "Performer"),
        ({"date_after": "9" * 40}, "date_after", "From"),
    ],
)
def test_bad_filter_gives_400_naming_the_field(client, query, field, label):
    html = bad_request(client, reverse("browse:list"), query)
    assert names_the_field(html, field, label)


def test_bad_filter_page_still_shows_the_form(client):
    html = bad_request(client, reverse("browse:list"), {"country": "ITALY", "kind": "music"})
    assert '<form class="filters" method="get" action="/stories/"' in html
    assert '<option value="music" selected>' in html


def test_date_range_ending_before_it_starts_gives_400(client):
    html = bad_request(
        client, reverse("browse:list"), {"date_after": "2020-03-15", "date_before": "2020-03-01"}
    )
    assert names_the_field(html, "date_before", "Until")


def test_bad_filter_on_the_timeline_gives_400_naming_the_field(client):
    html = bad_request(client, reverse("browse:timeline"), {"date_after": "2020-13-45"})
    assert names_the_field(html, "date_after", "From")


def test_bad_filter_on_the_map_gives_400_naming_the_field(client):
    html = bad_request(client, reverse("browse:map"), {"country": "ITALY"})
    assert names_the_field(html, "country", "Country")


def test_bad_page_number_on_a_city_page_gives_400(client):
    response = client.get(reverse("browse:city", args=["florence"]), {"page": "abc"})
    assert response.status_code == 400


def test_page_past_the_end_gives_404(client):
    response = client.get(reverse("browse:list"), {"page": "2"})
    assert response.status_code == 404


def test_page_past_the_end_of_a_city_gives_404(client):
    response = client.get(reverse("browse:city", args=["florence"]), {"page": "9"})
    assert response.status_code == 404


def test_impossible_day_gives_404(client):
    assert client.get("/on/2020-02-30/").status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "0000-01-01"])
def test_day_at_the_edge_of_the_calendar_gives_404(client, day):
    assert client.get(f"/on/{day}/").status_code == 404


def test_malformed_day_gives_404(client):
    assert client.get("/on/2020-3-1/").status_code == 404


def test_unknown_city_page_gives_404(client):
    assert client.get(reverse("browse:city", args=["atlantis"])).status_code == 404


def test_unknown_parameters_are_ignored(client, florence_story):
    response = client.get(reverse("browse:list"), {"utm_source": "x\x00y"})
    assert response.status_code == 200
    html = response.content.decode()
    assert florence_story.get_absolute_url() in html
    assert florence_story.title in html
    assert 'role="alert"' not in html  # no error summary


def test_post_to_the_list_is_not_allowed(client):
    response = client.post(reverse("browse:list"))
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


def test_bad_page_number_on_a_city_page_names_the_field(client):
    response = client.get(reverse("browse:city", args=["florence"]), {"page": "abc"})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<li id="error_page">Page (<code>page</code>): Enter a whole number.</li>' in html


@pytest.mark.parametrize(
    "url",
    [
        "/stories/?page=abc",
        "/timeline/?page=-1",
        "/cities/florence/?page=abc",
        "/on/2020-03-14/?page=0",
    ],
)
def test_bad_page_number_is_one_warning_line_in_the_log(client, caplog, url):
    caplog.set_level(logging.INFO)
    assert client.get(url).status_code == 400
    path = url.split("?")[0]
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("django.request", "WARNING", f"Bad Request: {path}")
    ]
    assert not caplog.records[0].exc_info


def logged_lines(record):
    """What the site's console handler writes for `record`, through its filters."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    if not handler.filter(record):
        return []
    return handler.format(record).splitlines()


@pytest.mark.parametrize(
    ("request_kwargs", "logger"),
    [
        ({"path": "/stories/", "HTTP_HOST": "evil.example"}, "django.security.DisallowedHost"),
        (
            {"path": "/stories/?" + "&".join(f"x{n}=1" for n in range(1001))},
            "django.security.TooManyFieldsSent",
        ),
    ],
)
def test_suspicious_request_is_one_warning_line_in_the_log(client, caplog, request_kwargs, logger):
    """Django logs these at ERROR with a traceback; the site's handler writes one line."""
    caplog.set_level(logging.INFO)
    kwargs = dict(request_kwargs)
    assert client.get(kwargs.pop("path"), **kwargs).status_code == 400
    assert [r.name for r in caplog.records] == [logger]
    lines = logged_lines(caplog.records[0])
    assert len(lines) == 1
    assert caplog.records[0].levelname == "WARNING"
