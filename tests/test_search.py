"""Text search: the same results on SQLite and PostgreSQL, full-text search on PostgreSQL."""

import pytest
from django.urls import reverse

from stories.models import Story
from stories.search import search_triggers_paused
from tests import factories

pytestmark = pytest.mark.django_db


def found(client, words):
    response = client.get(reverse("browse:list"), {"q": words})
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<section class="results"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def seed_like():
    return factories.seed_like()


def test_nessun_finds_florence(client, seed_like):
    page = found(client, "Nessun")
    assert "Nessun Dorma" in page
    assert "free concert" not in page


def test_every_word_must_match(client, seed_like):
    page = found(client, "balcony Palermo")
    assert "Palermo" in page
    assert "Nessun Dorma" not in page


def test_words_match_whatever_their_case(client, seed_like):
    assert "Nessun Dorma" in found(client, "nessun dorma")


def test_words_find_a_post_by_its_authors_handle(client, seed_like):
    page = found(client, "dschmudde")
    assert "free concert" in page
    assert "Nessun Dorma" not in page


@pytest.mark.postgres
def test_search_vector_is_stored_when_a_story_is_saved(seed_like):
    story = Story.objects.get(pk=seed_like["turin"].pk)
    assert "turin" in story.search_vector


@pytest.mark.postgres
def test_adding_a_post_updates_the_search_vector(client, seed_like):
    factories.post(seed_like["sicily"], url="https://twitter.com/x/status/9", text="Tarantella")
    assert "A DJ in Sicily" in found(client, "tarantella")


@pytest.mark.postgres
def test_renaming_a_performer_updates_the_search_vector(client, seed_like):
    dj = seed_like["palermo"].performers.get()
    dj.name = "Salvatore Rizzo"
    dj.save()
    assert "Palermo" in found(client, "Rizzo")


@pytest.mark.postgres
def test_search_matches_other_forms_of_a_word(client, seed_like):
    assert "free concert" in found(client, "concerts")


def test_search_understands_a_minus_as_not(client, seed_like):
    page = found(client, "balcony -Palermo")
    assert "Nessun Dorma" in page
    assert "A DJ plays a set from his balcony in Palermo" not in page


@pytest.mark.postgres
def test_title_matches_rank_above_body_matches(client, seed_like):
    factories.story(
        "Applause in Rome", body="Nothing about the singer.", cities=[factories.city("Rome")]
    )
    body_only = factories.story("Cheering in Milan", body="Someone mentioned Rome in passing.")
    page = found(client, "Rome")
    assert page.index("Applause in Rome") < page.index(body_only.title)


@pytest.mark.postgres
def test_stories_loaded_with_triggers_paused_are_found_afterwards(client):
    with search_triggers_paused():
        story = factories.story("Tarantella on the terrace", performers=[factories.performer()])
        factories.post(story, text="Bellissimo")
        assert Story.objects.get(pk=story.pk).search_vector is None
    assert "Tarantella on the terrace" in found(client, "bellissimo Marchini")
