"""Text search: the same results on SQLite (FTS5) and PostgreSQL (full-text search), stemmed
and ranked on both; the stored vectors on PostgreSQL."""

import pytest
from django.core.management import call_command
from django.db import transaction
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


def test_a_post_added_later_makes_its_story_found(client, seed_like):
    factories.post(seed_like["sicily"], url="https://twitter.com/x/status/9", text="Tarantella")
    assert "A DJ in Sicily" in found(client, "tarantella")


def test_a_renamed_performer_is_found_by_the_new_name_only(client, seed_like):
    dj = seed_like["palermo"].performers.get()
    dj.name = "Salvatore Rizzo"
    dj.save()
    assert "Palermo" in found(client, "Rizzo")
    assert "Palermo" not in found(client, "Unidentified")


def test_search_matches_other_forms_of_a_word(client, seed_like):
    assert "free concert" in found(client, "concerts")


def test_search_understands_a_minus_as_not(client, seed_like):
    page = found(client, "balcony -Palermo")
    assert "Nessun Dorma" in page
    assert "A DJ plays a set from his balcony in Palermo" not in page


def test_title_matches_rank_above_body_matches(client, seed_like):
    factories.story(
        "Applause in Rome", body="Nothing about the singer.", cities=[factories.city("Rome")]
    )
    body_only = factories.story("Cheering in Milan", body="Someone mentioned Rome in passing.")
    page = found(client, "Rome")
    assert page.index("Applause in Rome") < page.index(body_only.title)


def test_stories_loaded_with_triggers_paused_are_found_afterwards(client):
    with search_triggers_paused():
        story = factories.story("Tarantella on the terrace", performers=[factories.performer()])
        factories.post(story, text="Bellissimo")
    assert "Tarantella on the terrace" in found(client, "bellissimo Marchini")


@pytest.mark.postgres
def test_stories_loaded_with_triggers_paused_have_no_vector_until_indexed():
    with search_triggers_paused():
        story = factories.story("Tarantella on the terrace")
        assert Story.objects.get(pk=story.pk).search_vector is None
    assert Story.objects.get(pk=story.pk).search_vector is not None


def test_a_bulk_loaded_archive_is_searchable(client, seed_like, tmp_path):
    factories.export(tmp_path / "archive.jsonl")
    factories.flush()
    assert "Nessun Dorma" not in found(client, "balconies")
    call_command("load_archive", str(tmp_path / "archive.jsonl"), verbosity=0)
    page = found(client, "balconies tenor")
    assert "Nessun Dorma" in page
    assert "free concert" not in page


# Stems, as PostgreSQL's English configuration and FTS5's Porter stemmer find them.


def test_a_singular_finds_the_plural(client, seed_like):
    page = found(client, "balcony")
    assert "balconies in Turin" in page
    assert "Nessun Dorma" in page


def test_a_plural_finds_the_singular(client, seed_like):
    page = found(client, "balconies")
    assert "Nessun Dorma" in page
    assert "balcony in Palermo" in page
    assert "emergency services" not in page


def test_clapping_finds_clap(client, seed_like):
    factories.story("Neighbours clap for the nurses of Bergamo")
    assert "clap for the nurses" in found(client, "clapping")


# The visitor's words, read as websearch_to_tsquery reads them, on both databases.

SEED_QUERIES = {
    # words: the seed stories (factories.seed_like) found
    "balcony": {"florence", "turin", "palermo"},
    "Balconies palermo": {"palermo"},
    "balcony -palermo": {"florence", "turin"},
    "-balcony": {"spain", "sicily", "trainer"},
    "-balcony -dj": {"spain", "trainer"},
    '"free concert"': {"turin"},
    '"concert free"': set(),
    '-"free concert" balcony': {"florence", "palermo"},
    "nessun OR sicily": {"florence", "sicily"},
    "nessun or sicily": {"florence", "sicily"},
    "dj OR -balcony": {"palermo", "sicily", "spain", "trainer"},
    "tenor": {"florence"},
    "the": set(),
    "a balcony in Palermo": {"palermo"},
    "OR": set(),
    "dschmudde": {"turin"},
    "MuhammadLila": {"florence"},
    "emergencies": {"spain"},
    "applauding": {"spain"},
}


@pytest.mark.parametrize("words", SEED_QUERIES)
def test_the_seed_answers_the_same_on_both_databases(seed_like, words):
    from stories.search import matching

    slugs = {story.slug: name for name, story in seed_like.items()}
    result = matching(Story.objects.published(), words).values_list("slug", flat=True)
    assert {slugs[slug] for slug in result} == SEED_QUERIES[words]


# Characters that are FTS5 or tsquery syntax: read as words or ignored, never a 500.
SYNTAX = [
    ('"', set()),
    ('""', set()),
    ('"balcony', {"florence", "turin", "palermo"}),
    ('balcony "palermo', {"palermo"}),
    ("marchini*", {"florence"}),
    ("*", set()),
    ("NEAR(balcony palermo)", set()),
    ("balcony NEAR palermo", set()),
    ("NEAR/2", set()),
    ("^balcony", {"florence", "turin", "palermo"}),
    ("title:palermo", set()),
    ("palermo:*", {"palermo"}),
    ("(palermo", {"palermo"}),
    ("palermo)", {"palermo"}),
    ("(balcony OR dj) -turin", {"florence", "turin", "palermo", "sicily"}),
    ("balcony AND palermo", {"palermo"}),
    ("NOT palermo", {"palermo"}),
    ("-", set()),
    ("- palermo", {"florence", "turin", "spain", "sicily", "trainer"}),
    ("--palermo", {"palermo"}),
    ("---palermo", {"florence", "turin", "spain", "sicily", "trainer"}),
    ("balcony -OR palermo", {"palermo"}),
    ("covid-19 OR x@y.com OR http://x.org/a", set()),
    ("palermo & turin | !dj <-> x", set()),
    ("'palermo'", {"palermo"}),
    ("{palermo}", {"palermo"}),
    ("palermo\\", {"palermo"}),
    ("é", set()),
]


@pytest.mark.parametrize(("words", "expected"), SYNTAX)
def test_query_syntax_in_the_words_is_never_a_500(client, seed_like, words, expected):
    response = client.get(reverse("browse:list"), {"q": words})
    assert response.status_code == 200
    slugs = {story.slug: name for name, story in seed_like.items()}
    assert {slugs[s.slug] for s in response.context["stories"]} == expected


# What the public may see.


def test_a_story_withdrawn_is_not_found_within_the_same_transaction(client, seed_like):
    florence = seed_like["florence"]
    assert "Nessun Dorma" in found(client, "tenor")
    with transaction.atomic():
        florence.status = Story.Status.WITHDRAWN
        florence.save()
        assert "Nessun Dorma" not in found(client, "tenor")


def test_an_unpublished_story_is_never_found(client, seed_like):
    for status in (Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN):
        hidden = factories.story(f"Tarantella {status}", status=status)
        factories.post(hidden, text="Tarantella", url=f"https://twitter.com/x/status/{status}")
    assert "Tarantella" not in found(client, "tarantella")
    assert "Tarantella" not in found(client, "-balcony")


def test_a_story_is_found_once_published(client):
    story = factories.story("Tarantella on the terrace", status=Story.Status.DRAFT)
    assert "Tarantella" not in found(client, "tarantella")
    story.status = Story.Status.PUBLISHED
    story.published_at = story.created_at
    story.save()
    assert "Tarantella" in found(client, "tarantella")
