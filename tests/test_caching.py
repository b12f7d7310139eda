"""Public pages are cacheable: no Vary: Cookie, Cache-Control public, conditional GETs."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stories.models import City, Story
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    reverse("browse:home"),
    reverse("browse:list"),
    reverse("browse:list") + "?city=florence&q=nessun",
    reverse("browse:cities"),
    reverse("browse:city", args=["florence"]),
    reverse("browse:performer", args=["maurizio-marchini"]),
    "/on/2020-03-14/",
    reverse("browse:timeline"),
    reverse("browse:map"),
    "/stories/florence-nessun-dorma/",
]


@pytest.fixture(autouse=True)
def seed_like():
    return factories.seed_like()


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_does_not_vary_on_cookie(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_ignores_a_signed_in_curators_session(client, django_user_model, url):
    """Nothing on the page reads the session, the user or the CSRF token."""
    client.force_login(django_user_model.objects.create_user("curator", password="x"))
    response = client.get(url)
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_may_be_cached_by_anyone(client, url):
    cache_control = client.get(url)["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=300" in cache_control


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_answers_a_conditional_get_with_304(client, url):
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""


def test_etag_changes_when_a_story_is_edited(client, seed_like):
    etag = client.get(reverse("browse:list"))["ETag"]
    story = seed_like["turin"]
    story.summary = "A new summary."
    story.save()
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 200


def test_etag_stays_when_a_draft_is_deleted(client, seed_like):
    draft = factories.story("A draft", status=Story.Status.DRAFT)
    etag = client.get(reverse("browse:list"))["ETag"]
    draft.delete()
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 304


def test_etag_stays_when_an_editor_saves_a_draft_in_the_admin(client, editor, seed_like):
    """Editors at work on drafts neither empty the caches nor show in the public ETag."""
    draft = factories.story("A draft", status=Story.Status.DRAFT, cities=[factories.city()])
    factories.post(draft, url="https://twitter.com/a/status/9", text="A draft's post")
    etag = client.get(reverse("browse:list"))["ETag"]
    editor_client = Client()
    editor_client.force_login(editor)
    change = reverse("admin:stories_story_change", args=[draft.pk])
    response = editor_client.post(
        change, factories.story_form(draft, summary="Edited", performers=[])
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "Edited"
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 304


def test_etag_stays_when_an_editor_adds_a_draft_in_the_admin(client, editor, seed_like):
    etag = client.get(reverse("browse:list"))["ETag"]
    editor_client = Client()
    editor_client.force_login(editor)
    data = factories.story_form(Story(title="A new draft", slug="a-new-draft", kind="other"))
    response = editor_client.post(reverse("admin:stories_story_add"), data)
    assert response.status_code == 302
    assert Story.objects.filter(slug="a-new-draft", status=Story.Status.DRAFT).exists()
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 304


def test_etag_changes_when_an_editor_saves_a_published_story_in_the_admin(
    client, editor, seed_like
):
    story = seed_like["turin"]
    etag = client.get(reverse("browse:list"))["ETag"]
    editor_client = Client()
    editor_client.force_login(editor)
    change = reverse("admin:stories_story_change", args=[story.pk])
    data = factories.story_form(story, summary="Edited")
    data.pop("slug")  # read-only once published
    assert editor_client.post(change, data).status_code == 302
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 200


def test_etag_stays_when_a_performer_nobody_published_names_is_created(client, seed_like):
    etag = client.get(reverse("browse:list"))["ETag"]
    factories.performer("Somebody New")
    assert client.get(reverse("browse:list"), headers={"if-none-match": etag}).status_code == 304


def test_etag_changes_when_a_post_is_added(client, seed_like):
    url = seed_like["palermo"].get_absolute_url()
    etag = client.get(url)["ETag"]
    factories.post(seed_like["palermo"], url="https://twitter.com/a/status/1")
    assert client.get(url, headers={"if-none-match": etag}).status_code == 200


def test_head_request_is_answered(client):
    assert client.head(reverse("browse:list")).status_code == 200


def test_cached_counts_follow_a_newly_published_story(client, seed_like):
    assert "<strong>1 story</strong>" in client.get("/stories/?city=florence").content.decode()
    factories.story("Florence sings again", cities=[factories.city()])
    assert "<strong>2 stories</strong>" in client.get("/stories/?city=florence").content.decode()


def test_etag_changes_when_a_city_is_renamed(client, seed_like):
    url = reverse("browse:cities")
    etag = client.get(url)["ETag"]
    City.objects.filter(slug="turin").update(name="Torino")
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Torino" in response.content.decode()


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_varies_on_language_but_not_on_cookie(client, url):
    """LocaleMiddleware picks the language from Accept-Language (or its cookie) without the
    session: the page stays public, keeps its ETag and varies on Accept-Language only."""
    response = client.get(url, headers={"accept-language": "it,en;q=0.5"})
    vary = {header.strip() for header in response.get("Vary", "").split(",")}
    assert "Accept-Language" in vary
    assert "Cookie" not in vary
    assert "public" in response["Cache-Control"]
    assert response.has_header("ETag")
    assert response["Content-Language"] == "en-gb"


def test_page_names_its_language(client):
    assert b'<html lang="en-gb">' in client.get(reverse("browse:home")).content


def test_a_withdrawn_story_leaves_the_kept_pages_at_once(client, seed_like):
    """Pages are kept whole on the server, but under the archive's revision: the editor's
    withdrawal changes it, so the very next request is answered afresh."""
    story = factories.story("Cellist in Turin", cities=[City.objects.get(slug="turin")])
    pages = [reverse("browse:list"), reverse("browse:city", args=["turin"]), "/stories/?q=cellist"]
    for url in pages:
        assert "Cellist in Turin" in client.get(url).text
    assert client.get(story.get_absolute_url()).status_code == 200
    story.status = Story.Status.WITHDRAWN
    story.save()
    for url in pages:
        assert "Cellist in Turin" not in client.get(url).text
    assert client.get(story.get_absolute_url()).status_code == 410


def test_a_staff_preview_is_never_kept_for_visitors(editor_client):
    draft = factories.story("Draft aria", status=Story.Status.DRAFT)
    url = draft.get_absolute_url()
    assert "Draft aria" in editor_client.get(url).text  # the preview
    assert Client().get(url).status_code == 404
    assert "Draft aria" in editor_client.get(url).text  # and not the visitor's 404


def test_a_page_kept_for_visitors_is_the_same_for_a_signed_in_editor(editor_client):
    url = reverse("browse:list") + "?city=florence"
    visitors = Client().get(url)
    assert visitors.templates  # rendered for the visitor...
    editors = editor_client.get(url)
    assert editors.templates == []  # ...and served from the cache to the editor
    assert editors.content == visitors.content


def city_facet(client, url):
    """The city facet as the page got it: {label: count}, and the SQL the page ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    (cities,) = [f for f in response.context["facets"] if f.name == "city"]
    return {value.label: value.count for value in cities.values}, [q["sql"] for q in queries]


def reads_city_totals(sql):
    """Whether the page read the cities' totals, busiest first (not one city's total)."""
    listed = """"stories_facettotal"."facet" = 'city' ORDER BY"""
    return any(listed in s for s in sql)


def test_the_city_facet_beside_each_city_is_read_once(client, seed_like):
    """Beside one city's list the city facet counts every story (the city is its own
    filter): the same rows beside every city, read once and shared by the next city's page."""
    florence, sql = city_facet(client, "/stories/?city=florence")
    assert reads_city_totals(sql)
    turin, sql = city_facet(client, "/stories/?city=turin")
    assert not reads_city_totals(sql)
    assert turin == florence
    assert florence["Turin, Italy"] == 1


def test_a_withdrawal_shows_in_the_shared_city_facet_on_the_next_page(client, seed_like):
    city_facet(client, "/stories/?city=florence")
    story = Story.objects.get(slug="turin-balcony-concert")
    story.status = Story.Status.WITHDRAWN
    story.save()
    palermo, sql = city_facet(client, "/stories/?city=palermo")
    assert reads_city_totals(sql)
    assert "Turin, Italy" not in palermo
    assert palermo["Florence, Italy"] == 1
