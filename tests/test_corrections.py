"""The public form "Request a correction or removal" and its requests in the admin."""

import pytest
from django.test import Client
from django.utils.html import escape

from preservation.models import CorrectionRequest
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/stories/applause/correction/"


@pytest.fixture
def story():
    story = factories.story("Applause in Madrid", slug="applause")
    factories.post(story, url="https://twitter.com/someone/status/1", handle="someone")
    return story


def sent(**changes):
    data = {
        "asking": "removal",
        "about": "post",
        "post": "",
        "reason": "I am the person in this video and I ask for it to be removed.",
        "contact": "me@example.org",
        "website": "",
    }
    data.update(changes)
    return data


def test_the_story_page_links_to_the_form(client, story):
    page = client.get("/stories/applause/").content.decode()
    assert f'href="{URL}">Request a correction or removal</a>' in page


def test_a_request_lands_in_the_admin_as_open_and_changes_nothing(client, story):
    post = story.posts.get()
    response = client.post(URL, sent(post=post.pk))
    assert response.status_code == 302
    assert response["Location"] == "/stories/applause/correction/sent/"
    request = CorrectionRequest.objects.get()
    assert (request.story, request.post, request.status, request.asking, request.about) == (
        story,
        post,
        "open",
        "removal",
        "post",
    )
    assert request.contact == "me@example.org"
    assert Story.objects.get(pk=story.pk).status == "published"
    assert client.get("/stories/applause/correction/sent/").status_code == 200


def test_the_form_needs_the_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    factories.story("Applause in Madrid", slug="applause")
    assert strict.post(URL, sent()).status_code == 403
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        (
            {"website": "http://spam.example"},
            "This field must stay empty; the request was not sent.",
        ),
        (
            {"reason": "<a href='http://spam.example'>cheap</a>"},
            "Write plain text: the archive does not accept HTML tags.",
        ),
        ({"reason": "x" * 5001}, "Ensure this value has at most 5000 characters (it has 5001)."),
        ({"contact": "y" * 255}, "Ensure this value has at most 254 characters (it has 255)."),
        ({"reason": ""}, "This field is required."),
        (
            {"asking": "everything"},
            "Select a valid choice. everything is not one of the available choices.",
        ),
    ],
)
def test_a_refused_request_keeps_what_was_typed_and_says_why(client, story, changes, field_message):
    data = sent(**changes)
    response = client.post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert field_message in page
    for typed in (data["reason"], data["contact"]):  # what was typed is still there
        assert escape(typed) in page
    assert not CorrectionRequest.objects.exists()


def test_a_post_of_another_story_is_refused(client, story):
    other = factories.story("Elsewhere")
    foreign = factories.post(other, url="https://twitter.com/else/status/2")
    response = client.post(URL, sent(post=foreign.pk))
    assert response.status_code == 400
    assert not CorrectionRequest.objects.exists()


def test_one_address_may_send_a_few_requests_an_hour(client, story, settings):
    settings.CORRECTION_RATE_LIMIT = 2
    assert client.post(URL, sent()).status_code == 302
    assert client.post(URL, sent()).status_code == 302
    refused = client.post(URL, sent(reason="A third request, typed with care."))
    assert refused.status_code == 429
    assert "Too many requests from your address in the last hour." in refused.content.decode()
    assert "A third request, typed with care." in refused.content.decode()
    assert CorrectionRequest.objects.count() == 2
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(URL, sent()).status_code == 302


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN]
)
def test_no_form_for_a_story_that_is_not_published(client, status):
    factories.story("Hidden", slug="hidden", status=status)
    for url in ["/stories/hidden/correction/", "/stories/hidden/correction/sent/"]:
        assert client.get(url).status_code == 404
    assert client.post("/stories/hidden/correction/", sent()).status_code == 404
    assert not CorrectionRequest.objects.exists()


def test_editors_read_and_decide_requests_contributors_do_not_see_them(client, story):
    client.post(URL, sent())
    request = CorrectionRequest.objects.get()
    editor = factories.user("editor", group="Editors")
    contributor = factories.user("contributor", group="Contributors")
    base = f"/admin/preservation/correctionrequest/{request.pk}"
    client.force_login(contributor)
    assert client.get("/admin/preservation/correctionrequest/").status_code == 403
    client.force_login(editor)
    for url in ["/admin/preservation/correctionrequest/", f"{base}/change/", f"{base}/history/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/preservation/correctionrequest/add/").status_code == 403
    assert client.get(f"{base}/delete/").status_code == 403
    page = client.get(f"{base}/change/").content.decode()
    assert 'name="reason"' not in page  # what the visitor wrote stays as written
    response = client.post(
        f"{base}/change/", {"status": "declined", "editor_notes": "The video is public record."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.reason) == ("declined", sent()["reason"])
    record = request.history.latest("history_date")
    assert client.get(f"{base}/history/{record.history_id}/").status_code == 200


def test_behind_a_proxy_the_limit_counts_the_clients_address(client, story, settings):
    settings.CORRECTION_RATE_LIMIT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = client.post(URL, sent(), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    second = client.post(URL, sent(), HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    again = client.post(URL, sent(), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert (first.status_code, second.status_code, again.status_code) == (302, 302, 429)
