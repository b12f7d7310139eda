"""Filling in the search index after a bulk load: the batches, rebuild_search_index, and what
visitors see while it runs."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.urls import reverse

from stories import search
from stories.management import search_index
from stories.models import Story
from tests import factories
from tests.factories import export, flush

pytestmark = pytest.mark.django_db

NOTICE = "Search is still catching up after a bulk load"


def forget_vectors(*stories):
    """What a bulk load leaves: stories with no vector (setting only the vector does not
    fire the trigger that computes it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE stories_story SET search_vector = NULL WHERE id = ANY(%s)",
            [[story.pk for story in stories]],
        )


def vector(story):
    return Story.objects.values_list("search_vector", flat=True).get(pk=story.pk)


def stories_found(client, words):
    response = client.get(reverse("browse:list"), {"q": words})
    assert response.status_code == 200
    return response.content.decode()


def rebuild(*args):
    out = StringIO()
    call_command("rebuild_search_index", *args, stdout=out)
    return out.getvalue()


def load(path):
    out = StringIO()
    call_command("load_archive", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


@pytest.fixture
def archive_file(tmp_path):
    """The seed article's six stories, exported, with the database emptied for a load."""
    call_command("loaddata", "seed", verbosity=0)
    path = tmp_path / "seed.jsonl"
    export(path)
    flush()
    return path


@pytest.fixture
def concert():
    """A story whose document has every part: performers, posts, body."""
    story = factories.story(
        "Tenor on the rooftop",
        summary="He sang for the street.",
        body="Neighbours opened their windows.",
        performers=[
            factories.performer("Maurizio Marchini", role="tenor"),
            factories.performer("Anna Rossi", slug="anna-rossi", role="violinist"),
        ],
    )
    factories.post(story, text="Bellissimo from Florence", handle="fiorentina")
    factories.post(story, url="https://twitter.com/x/status/2", text="Encore tonight")
    return story


@pytest.mark.postgres
def test_batches_compute_the_same_vector_as_the_trigger(concert):
    by_trigger = vector(concert)
    for word in ("tenor", "marchini", "violinist", "bellissimo", "fiorentina", "encor"):
        assert word in by_trigger
    forget_vectors(concert)
    assert search.index_missing_vectors() == 1
    assert vector(concert) == by_trigger


@pytest.mark.postgres
def test_only_missing_vectors_are_filled_and_counted(client):
    first = factories.story("Applause in Rome")
    second = factories.story("Workout in Madrid")
    kept = factories.story("DJ set in Palermo")
    forget_vectors(first, second)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE stories_story SET search_vector = to_tsvector('simple', 'sentinel') "
            "WHERE id = %s",
            [kept.pk],
        )
    assert "Applause in Rome" not in stories_found(client, "Rome")
    assert search.unindexed_story_count() == 2

    assert search.index_missing_vectors() == 2

    assert vector(kept) == "'sentinel':1"
    assert "Applause in Rome" in stories_found(client, "Rome")
    assert "Workout in Madrid" in stories_found(client, "Madrid")
    assert search.unindexed_story_count() == 0


@pytest.mark.postgres
def test_ids_with_gaps_wider_than_a_batch_are_all_indexed():
    stories = [factories.story(f"Story number {n}", status=Story.Status.DRAFT) for n in range(12)]
    for story in stories[2:9]:  # a gap of seven ids, with batches of two
        story.delete()
    left = stories[:2] + stories[9:]
    forget_vectors(*left)
    assert search.index_missing_vectors(batch_size=2, workers=1) == 5
    assert all(vector(story) for story in left)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_index_every_story_on_their_own_connections(monkeypatch):
    stories = [factories.story(f"Balcony concert {n}") for n in range(30)]
    forget_vectors(*stories)
    threads = set()
    run = search.Batches.run

    def run_and_note_thread(batches, bar):
        threads.add(search.threading.current_thread().name)
        return run(batches, bar)

    monkeypatch.setattr(search.Batches, "run", run_and_note_thread)
    assert search.index_missing_vectors(batch_size=4, workers=3) == 30
    assert not Story.objects.filter(search_vector__isnull=True).exists()
    assert threads == {"search-index-0", "search-index-1", "search-index-2"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_is_reported_to_the_caller(monkeypatch):
    stories = [factories.story(f"Balcony concert {n}") for n in range(10)]
    forget_vectors(*stories)
    monkeypatch.setattr(search, "VECTOR_OF_STORY", "no_such_function(id)")
    with pytest.raises(DatabaseError, match="no_such_function"):
        search.index_missing_vectors(batch_size=2, workers=2)
    assert search.unindexed_story_count() == 10


@pytest.mark.postgres
def test_rebuild_search_index_fills_in_missing_vectors(client):
    stories = [factories.story(f"Clapping for carers {n}") for n in range(3)]
    forget_vectors(*stories[:2])
    assert re.fullmatch(r"Search index: 2 stories indexed in \d+\.\d s\.\n", rebuild())
    assert stories_found(client, "carers").count("Clapping for carers") == 3
    assert rebuild("--workers", "1", "--batch-size", "1").startswith(
        "Search index: 0 stories indexed"
    )


@pytest.mark.postgres
def test_rebuild_search_index_all_recomputes_stale_vectors(client, concert):
    by_trigger = vector(concert)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE stories_story SET search_vector = to_tsvector('simple', 'stale')")
    factories.story("Another story", status=Story.Status.DRAFT)
    forget_vectors(Story.objects.get(title="Another story"))

    assert rebuild("--all", "--batch-size", "1").startswith("Search index: 2 stories recomputed")

    assert vector(concert) == by_trigger
    assert "Tenor on the rooftop" in stories_found(client, "Marchini")


@pytest.mark.postgres
def test_a_loaded_archive_is_searchable_once_load_archive_returns(archive_file, client):
    loaded, indexed = load(archive_file)
    assert re.fullmatch(r"Loaded 6 stories, .* in \d+\.\d s from .*seed\.jsonl\.", loaded)
    assert re.fullmatch(r"Search index: 6 stories in \d+\.\d s\.", indexed)
    assert search.unindexed_story_count() == 0
    assert "Nessun Dorma" in stories_found(client, "Nessun")


@pytest.mark.postgres
def test_an_interrupted_index_says_how_to_finish(archive_file, monkeypatch, client):
    def interrupted(**options):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_index, "index_missing_vectors", interrupted)
    with pytest.raises(CommandError) as refusal:
        load(archive_file)
    assert str(refusal.value) == (
        "The archive is loaded, but the search index is incomplete: 6 stories not searchable "
        "yet; run `manage.py rebuild_search_index` to finish."
    )
    assert Story.objects.count() == 6
    assert NOTICE in stories_found(client, "Nessun")
    assert rebuild().startswith("Search index: 6 stories indexed")
    assert "Nessun Dorma" in stories_found(client, "Nessun")


@pytest.mark.postgres
def test_generate_archive_indexes_the_stories_it_writes_into_the_database():
    out = StringIO()
    call_command("generate_archive", stories=25, stdout=out)
    assert re.search(r"^Search index: 25 stories in \d+\.\d s\.$", out.getvalue(), re.M)
    assert search.unindexed_story_count() == 0


def test_generate_archive_into_a_file_leaves_the_index_alone(tmp_path):
    out = StringIO()
    call_command("generate_archive", stories=5, output=str(tmp_path / "a.jsonl"), stdout=out)
    assert "Search index" not in out.getvalue()


def test_rebuild_search_index_refuses_a_batch_size_of_zero():
    with pytest.raises(CommandError, match="batch-size"):
        rebuild("--batch-size", "0")


@pytest.mark.postgres
def test_the_notice_shows_while_published_stories_are_unsearchable(client):
    published = [factories.story(f"Applause in Rome {n}") for n in range(2)]
    draft = factories.story("Applause in Rome, a draft", status=Story.Status.DRAFT)
    forget_vectors(*published, draft)

    response = client.get(reverse("browse:list"), {"q": "Rome"})
    assert f"{NOTICE}: 2 stories are not searchable yet." in response.content.decode()
    assert NOTICE not in client.get(reverse("browse:list")).content.decode()

    search.index_missing_vectors()

    # A cache that kept the page revalidates with its ETag and gets the page anew.
    again = client.get(reverse("browse:list"), {"q": "Rome"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 200
    assert NOTICE not in again.content.decode()
    assert "Applause in Rome 1" in again.content.decode()


@pytest.mark.postgres
def test_the_notice_counts_one_story_in_the_singular(client):
    forget_vectors(factories.story("Applause in Rome"))
    assert f"{NOTICE}: 1 story is not searchable yet." in stories_found(client, "Rome")


@pytest.mark.sqlite
def test_sqlite_has_no_vectors_to_fill_and_rebuilds_its_index_by_hand(client):
    factories.story("Applause in Rome")
    factories.story("Applause in Milan", status=Story.Status.DRAFT)
    assert search.index_missing_vectors() == 0
    assert search.unindexed_story_count() == 0
    assert "Search index: 1 story recomputed" in rebuild()
    assert "Search index: 1 story recomputed" in rebuild("--all")
    page = stories_found(client, "Rome")
    assert "Applause in Rome" in page
    assert NOTICE not in page


def test_load_archive_on_sqlite_prints_only_the_load(archive_file):
    assert connection.vendor == "sqlite" or pytest.skip("SQLite only")
    [loaded] = load(archive_file)
    assert loaded.startswith("Loaded 6 stories")
