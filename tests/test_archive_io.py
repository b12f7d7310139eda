"""export_archive and load_archive: the JSON Lines format, the round trip and the refusals."""

import datetime
import json
import re
from io import StringIO

import pytest
from django.contrib.postgres.search import SearchVectorField
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models.functions import Lower

from stories.interchange import bulk_load, parallel
from stories.interchange.archive import FORMAT, VERSION, archived_fields, is_derived
from stories.models import (
    City,
    Country,
    LinkedPost,
    LoadRecord,
    Performer,
    Story,
)
from tests import factories
from tests.factories import export, flush

pytestmark = pytest.mark.django_db


def load(path):
    out = StringIO()
    err = StringIO()
    call_command("load_archive", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def seed():
    call_command("loaddata", "seed", verbosity=0)


@pytest.fixture
def seed_export(seed, tmp_path):
    path = tmp_path / "seed.jsonl"
    export(path)
    flush()
    return path


def test_seed_round_trip_gives_identical_bytes(seed, tmp_path):
    first = export(tmp_path / "first.jsonl")
    flush()
    load(tmp_path / "first.jsonl")
    assert export(tmp_path / "second.jsonl") == first


def test_generated_archive_round_trip_gives_identical_bytes(tmp_path):
    call_command("generate_archive", stories=150, seed=7, stdout=StringIO())
    first = export(tmp_path / "first.jsonl")
    flush()
    load(tmp_path / "first.jsonl")
    assert export(tmp_path / "second.jsonl") == first


def test_export_starts_with_a_header_carrying_the_format_version(seed, tmp_path):
    path = tmp_path / "a.jsonl"
    export(path)
    header = lines(path)[0]
    assert (header["format"], header["version"]) == (FORMAT, VERSION)
    assert "title" in header["models"]["stories.story"]


def test_export_writes_references_as_natural_keys(seed, tmp_path):
    path = tmp_path / "a.jsonl"
    export(path)
    records = lines(path)
    florence = next(r for r in records if r.get("fields", {}).get("slug") == "florence")
    assert florence["fields"]["country"] == ["IT"]
    lila = next(r for r in records if r.get("fields", {}).get("handle") == "MuhammadLila")
    assert lila["fields"]["story"] == ["florence-nessun-dorma"]


def test_export_puts_each_storys_posts_right_after_it(seed, tmp_path):
    path = tmp_path / "a.jsonl"
    export(path)
    records = lines(path)[1:]
    at = next(
        i
        for i, r in enumerate(records)
        if r.get("fields", {}).get("slug") == "florence-nessun-dorma"
    )
    after = records[at + 1]
    assert after["model"] == "stories.linkedpost"
    assert after["fields"]["story"] == ["florence-nessun-dorma"]


def test_export_holds_no_primary_keys_and_no_load_records(seed_export, tmp_path):
    load(seed_export)
    path = tmp_path / "again.jsonl"
    export(path)
    records = lines(path)[1:]
    assert all("pk" not in r and "id" not in r["fields"] for r in records)
    assert "stories.loadrecord" not in {r["model"] for r in records}


def test_export_does_not_depend_on_the_order_rows_were_added(tmp_path):
    factories.city("Turin")
    factories.city("Florence")
    first = export(tmp_path / "first.jsonl")
    flush()
    factories.city("Florence")
    factories.city("Turin")
    assert export(tmp_path / "second.jsonl") == first


def test_export_keeps_timestamps_to_the_microsecond(tmp_path):
    moment = datetime.datetime(2020, 3, 14, 21, 30, 5, 123456, tzinfo=datetime.UTC)
    factories.story(slug="precise", published_at=moment)
    path = tmp_path / "a.jsonl"
    export(path)
    story = next(r for r in lines(path) if r.get("model") == "stories.story")
    assert story["fields"]["published_at"] == "2020-03-14T21:30:05.123456Z"
    flush()
    load(path)
    assert Story.objects.get().published_at == moment


def test_fields_the_database_derives_are_not_archived():
    assert is_derived(SearchVectorField())
    generated = models.GeneratedField(
        expression=Lower("title"), output_field=models.CharField(max_length=300), db_persist=True
    )
    assert is_derived(generated)
    assert not is_derived(Story._meta.get_field("title"))
    assert "id" not in [f.name for f in archived_fields(Story)]


def test_load_reports_what_it_loaded(seed_export):
    out, _ = load(seed_export)
    assert "Loaded 6 stories, 4 linked posts" in out


def test_load_leaves_a_record_of_what_came_from_where(seed_export):
    load(seed_export)
    record = LoadRecord.objects.get()
    assert record.command == "load_archive"
    assert record.source == str(seed_export.resolve())
    assert record.counts["stories.story"] == 6
    assert record.finished_at >= record.started_at


def test_new_rows_after_a_load_get_fresh_primary_keys(seed_export):
    load(seed_export)
    story = factories.story(slug="after-the-load")
    assert story.pk == max(Story.objects.exclude(pk=story.pk).values_list("pk", flat=True)) + 1


def test_progress_bar_stays_quiet_when_not_on_a_terminal(seed_export, capsys):
    _, err = load(seed_export)
    assert err == ""
    assert capsys.readouterr().err == ""


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_on_a_terminal(seed_export, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    load(seed_export)
    assert "100%" in terminal.getvalue()


def test_malformed_line_stops_with_its_number_and_writes_nothing(seed_export):
    text = seed_export.read_text(encoding="utf-8").splitlines(keepends=True)
    text[4] = '{"model": "stories.city", "fields": {"name": "Flor\n'
    seed_export.write_text("".join(text), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 5: not valid JSON"):
        load(seed_export)
    assert not City.objects.exists()
    assert not LoadRecord.objects.exists()


def test_broken_reference_stops_with_line_and_reason(seed_export):
    records = lines(seed_export)
    number, story = next(
        (i, r) for i, r in enumerate(records, 1) if r.get("model") == "stories.story"
    )
    story["fields"]["cities"] = [["atlantis"]]
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=rf"line {number}: .*cities refers to stories.city"):
        load(seed_export)
    assert not Story.objects.exists()


def test_post_separated_from_its_story_is_refused(seed_export):
    records = lines(seed_export)
    post = next(r for r in records if r.get("model") == "stories.linkedpost")
    records.remove(post)
    records.append(post)
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=r"a story's posts follow it directly"):
        load(seed_export)
    assert not LinkedPost.objects.exists()


def test_bad_value_is_refused_naming_line_and_field(seed_export):
    records = lines(seed_export)
    number, story = next(
        (i, r) for i, r in enumerate(records, 1) if r.get("model") == "stories.story"
    )
    story["fields"]["start_date"] = "14 March 2020"
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=rf"line {number}: stories.story.start_date"):
        load(seed_export)


def test_unknown_field_is_refused_rather_than_dropped(seed_export):
    records = lines(seed_export)
    records[3]["fields"]["population"] = 367150
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=r"line 4: stories.region has no field population"):
        load(seed_export)


def test_row_the_database_refuses_stops_naming_where_and_why(seed_export):
    records = lines(seed_export)
    story = next(r for r in records if r.get("fields", {}).get("slug") == "madrid-granada-applause")
    story["fields"]["end_date"] = "2020-03-01"
    write_lines(seed_export, records)
    # PostgreSQL names the row (line N); SQLite the batch it was in (lines N-M).
    with pytest.raises(CommandError, match=r"lines? \d+(-\d+)?: the database refused .*dates"):
        load(seed_export)
    assert not Story.objects.exists()


def refused_lines(message):
    """The line numbers a refusal names: "line N", or a batch's "lines N-M"."""
    first, last = re.search(r"lines? (\d+)(?:-(\d+))?:", message).groups()
    return range(int(first), int(last or first) + 1)


def test_post_handle_starting_with_at_sign_is_refused_naming_its_line(seed_export):
    records = lines(seed_export)
    number, post = next(
        (i, r) for i, r in enumerate(records, 1) if r.get("fields", {}).get("handle")
    )
    post["fields"]["handle"] = "@" + post["fields"]["handle"]
    write_lines(seed_export, records)
    # The constraint refuses it: the bulk load does not strip the "@" as the admin does.
    with pytest.raises(CommandError, match="stories_post_handle_without_at") as refusal:
        load(seed_export)
    assert number in refused_lines(str(refusal.value))
    assert not LinkedPost.objects.exists()


def test_story_with_a_start_date_but_no_end_date_is_refused(seed_export):
    records = lines(seed_export)
    number, story = next(
        (i, r) for i, r in enumerate(records, 1) if r.get("fields", {}).get("end_date")
    )
    story["fields"]["end_date"] = None
    write_lines(seed_export, records)
    # Story.clean() would make it a one-day story; the bulk load leaves that to the database.
    with pytest.raises(CommandError, match="stories_story_dates_both_or_neither") as refusal:
        load(seed_export)
    assert number in refused_lines(str(refusal.value))
    assert not Story.objects.exists()


def test_duplicate_story_is_refused_naming_both_lines_and_nothing_is_written(seed_export):
    records = lines(seed_export)
    first = next(
        i for i, r in enumerate(records, 1) if r.get("fields", {}).get("slug") == "sicily-dj-party"
    )
    records.append(records[first - 1])
    write_lines(seed_export, records)
    with pytest.raises(
        CommandError,
        match=rf"line {len(records)}: a second stories.story with slug 'sicily-dj-party': "
        rf"the first is on line {first}",
    ):
        load(seed_export)
    assert not Story.objects.exists()
    assert not LoadRecord.objects.exists()


def test_file_without_the_header_is_refused(seed_export):
    write_lines(seed_export, lines(seed_export)[1:])
    with pytest.raises(CommandError, match=r"line 1: not an archive export"):
        load(seed_export)


def test_newer_format_version_is_refused(seed_export):
    records = lines(seed_export)
    records[0]["version"] = VERSION + 1
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=rf"line 1: format version {VERSION + 1}"):
        load(seed_export)


def test_loading_into_an_archive_that_is_not_empty_is_refused(seed_export):
    factories.country("FR", "France")
    with pytest.raises(CommandError, match=r"already holds countries.*flush"):
        load(seed_export)
    assert not Story.objects.exists()


def test_archive_written_before_a_field_existed_loads_with_its_default(seed_export):
    records = lines(seed_export)
    records[0]["models"]["stories.linkedpost"].remove("reach_count")
    for record in records[1:]:
        record["fields"].pop("reach_count", None)
    write_lines(seed_export, records)
    load(seed_export)
    assert LinkedPost.objects.count() == 4
    assert set(LinkedPost.objects.values_list("reach_count", flat=True)) == {None}


def test_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(CommandError, match=r"missing\.jsonl: cannot be read"):
        load(tmp_path / "missing.jsonl")


@pytest.mark.postgres
def test_postgresql_load_goes_through_copy(seed_export, monkeypatch):
    def no_inserts(*args, **kwargs):
        raise AssertionError("row-by-row INSERT used on PostgreSQL")

    monkeypatch.setattr(bulk_load.BulkLoader, "insert", no_inserts)
    load(seed_export)
    assert connection.vendor == "postgresql"
    assert Story.objects.count() == 6


def test_lines_are_spelled_as_documented_for_awkward_text():
    from stories.interchange.archive import encode

    record = {"model": "stories.performer", "fields": {"name": 'Tab\t"q" \\ \u2028 🎶 é \x01'}}
    expected = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert encode(record) == expected.encode("utf-8")


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of five rows, so that a small archive goes through many of them."""
    monkeypatch.setattr(bulk_load, "BATCH_SIZE", 5)


def test_round_trip_through_many_small_batches(small_batches, tmp_path):
    call_command("generate_archive", stories=40, seed=9, stdout=StringIO())
    first = export(tmp_path / "first.jsonl")
    flush()
    load(tmp_path / "first.jsonl")
    assert export(tmp_path / "second.jsonl") == first


def test_refusal_in_a_later_batch_names_its_line_and_writes_nothing(small_batches, seed_export):
    records = lines(seed_export)
    stories = [r for r in records if r.get("model") == "stories.story"]
    story = stories[-1]
    story["fields"]["end_date"] = "2020-01-01"
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=r"lines? \d+(-\d+)?: the database refused"):
        load(seed_export)
    assert not Story.objects.exists()
    assert not LoadRecord.objects.exists()


@pytest.mark.postgres
def test_loaded_stories_are_found_by_full_text_search(seed_export, client):
    load(seed_export)
    florence = Story.objects.get(slug="florence-nessun-dorma")
    assert "nessun" in florence.search_vector
    response = client.get("/stories/", {"q": "Nessun"})
    assert "Marchini" in response.content.decode()


def test_place_after_the_stories_is_refused_naming_its_line(seed_export):
    records = lines(seed_export)
    records.append({"model": "stories.country", "fields": {"code": "MT", "name": "Malta"}})
    write_lines(seed_export, records)
    with pytest.raises(
        CommandError, match=rf"line {len(records)}: a stories.country record after the stories"
    ):
        load(seed_export)
    assert not Country.objects.exists()


@pytest.fixture
def small_chunks(monkeypatch):
    """Two workers reading chunks of a few stories each, so that a small archive takes the
    parallel path of a big one (PostgreSQL only)."""
    monkeypatch.setattr(bulk_load, "LOAD_WORKERS", 2)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 3000)


def generated_export(tmp_path, stories=120):
    call_command("generate_archive", stories=stories, seed=5, stdout=StringIO())
    path = tmp_path / "generated.jsonl"
    export(path)
    flush()
    return path


def write_canonical(path, records):
    """Lines spelled as export_archive spells them, which is where the loader cuts chunks."""
    from stories.interchange.archive import encode

    path.write_bytes(b"".join(encode(record) for record in records))


@pytest.mark.postgres
def test_round_trip_through_many_chunks_read_by_workers(small_chunks, tmp_path):
    path = generated_export(tmp_path)
    first = path.read_bytes()
    assert first.count(parallel.STORY_LINE) * 1000 > 3 * parallel.CHUNK_BYTES
    load(path)
    assert Story.objects.count() == 120
    assert export(tmp_path / "again.jsonl") == first


@pytest.mark.postgres
def test_refusal_in_a_later_chunk_names_its_line_and_writes_nothing(small_chunks, tmp_path):
    path = generated_export(tmp_path)
    records = lines(path)
    number = max(i for i, r in enumerate(records, 1) if r.get("model") == "stories.story")
    records[number - 1]["fields"]["performers"] = [["nobody-at-all"]]
    write_canonical(path, records)
    with pytest.raises(CommandError, match=rf"line {number}: .*refers to stories.performer"):
        load(path)
    assert not Story.objects.exists()
    assert not Performer.objects.exists()
    assert not LoadRecord.objects.exists()


@pytest.mark.postgres
def test_story_lines_spelled_another_way_are_read_in_order(small_chunks, monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "MAX_CHUNK_BYTES", 3 * parallel.CHUNK_BYTES)
    path = generated_export(tmp_path)
    canonical = path.read_bytes()
    write_lines(path, lines(path))  # json.dumps spacing: no line the chunker can cut at
    assert parallel.STORY_LINE not in path.read_bytes()
    load(path)
    assert Story.objects.count() == 120
    assert export(tmp_path / "again.jsonl") == canonical


@pytest.mark.postgres
def test_postgresql_load_leaves_statistics_for_the_planner(seed_export):
    load(seed_export)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename IN "
            "('stories_story', 'stories_linkedpost', 'stories_story_performers')"
        )
        analyzed = {table for (table,) in cursor.fetchall()}
    assert analyzed == {"stories_story", "stories_linkedpost", "stories_story_performers"}


# Duplicates: a key twice in one line, a unique key on two lines


def with_line_changed(path, number, old, new):
    """The file with the first `old` on line `number` (bytes) replaced by `new`."""
    raw = path.read_bytes().split(b"\n")
    assert old in raw[number - 1]
    raw[number - 1] = raw[number - 1].replace(old, new, 1)
    path.write_bytes(b"\n".join(raw))
    return path


def story_lines(path):
    return [i for i, r in enumerate(lines(path), 1) if r.get("model") == "stories.story"]


STORY_START = b'{"model":"stories.story","fields":{'


def test_a_line_naming_a_field_twice_is_refused_naming_line_and_key(seed_export):
    number = story_lines(seed_export)[-1]
    with_line_changed(seed_export, number, STORY_START, STORY_START + b'"title":"Another",')
    with pytest.raises(CommandError, match=rf'line {number}: the key "title" appears twice'):
        load(seed_export)
    assert not Story.objects.exists()
    assert not LoadRecord.objects.exists()


def test_a_duplicate_key_is_found_in_lines_spelled_another_way(seed_export):
    records = lines(seed_export)
    write_lines(seed_export, records)  # json.dumps spacing
    number = next(i for i, r in enumerate(records, 1) if r.get("model") == "stories.city")
    with_line_changed(seed_export, number, b'"fields": {', b'"fields": {"name": "Elsewhere", ')
    with pytest.raises(CommandError, match=rf'line {number}: the key "name" appears twice'):
        load(seed_export)
    assert not City.objects.exists()


def test_a_record_naming_model_twice_is_refused(seed_export):
    number = story_lines(seed_export)[0]
    with_line_changed(seed_export, number, b'{"model":', b'{"model":"stories.city","model":')
    with pytest.raises(CommandError, match=rf'line {number}: the key "model" appears twice'):
        load(seed_export)


def test_a_place_slug_on_two_lines_is_refused_naming_both(seed_export):
    records = lines(seed_export)
    cities = [i for i, r in enumerate(records, 1) if r.get("model") == "stories.city"]
    first, second = cities[0], cities[1]
    records[second - 1]["fields"]["slug"] = records[first - 1]["fields"]["slug"]
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=rf"line {second}: .*the first is on line {first}"):
        load(seed_export)
    assert not City.objects.exists()


def test_a_post_url_on_two_lines_is_refused_naming_both(seed_export):
    records = lines(seed_export)
    posts = [i for i, r in enumerate(records, 1) if r.get("model") == "stories.linkedpost"]
    first, second = posts[0], posts[-1]
    url = "https://twitter.com/MuhammadLila/status/1238901449011335168"
    records[first - 1]["fields"]["url"] = records[second - 1]["fields"]["url"] = url
    write_lines(seed_export, records)
    with pytest.raises(
        CommandError,
        match=rf"line {second}: a second stories.linkedpost with url '{re.escape(url)}': "
        rf"the first is on line {first}",
    ):
        load(seed_export)
    assert not LinkedPost.objects.exists()


def test_a_story_listing_a_city_twice_is_refused_naming_its_line(seed_export):
    records = lines(seed_export)
    number = next(
        i
        for i, r in enumerate(records, 1)
        if r.get("model") == "stories.story" and r["fields"]["cities"]
    )
    cities = records[number - 1]["fields"]["cities"]
    cities.append(cities[0])
    write_lines(seed_export, records)
    with pytest.raises(CommandError, match=rf"line {number}: stories.story.cities lists the same"):
        load(seed_export)
    assert not Story.objects.exists()


@pytest.mark.postgres
@pytest.mark.parametrize("spelling", ["canonical", "spaced"])
def test_a_duplicate_story_read_by_workers_names_both_lines(small_chunks, tmp_path, spelling):
    path = generated_export(tmp_path)
    records = lines(path)
    numbers = story_lines(path)
    first, second = numbers[3], numbers[-2]
    slug = records[first - 1]["fields"]["slug"]
    old = records[second - 1]["fields"]["slug"]
    for record in records[1:]:  # the story and its posts
        fields = record["fields"]
        if fields.get("slug") == old:
            fields["slug"] = slug
        elif fields.get("story") == [old]:
            fields["story"] = [slug]
    (write_canonical if spelling == "canonical" else write_lines)(path, records)
    with pytest.raises(
        CommandError,
        match=rf"line {second}: a second stories.story with slug '{slug}': "
        rf"the first is on line {first}",
    ):
        load(path)
    assert not Story.objects.exists()


@pytest.mark.postgres
def test_a_duplicate_key_in_a_chunk_read_by_a_worker_names_its_line(small_chunks, tmp_path):
    path = generated_export(tmp_path)
    number = story_lines(path)[-5]
    with_line_changed(path, number, STORY_START, STORY_START + b'"kind":"other",')
    with pytest.raises(CommandError, match=rf'line {number}: the key "kind" appears twice'):
        load(path)
    assert not Story.objects.exists()


def test_where_a_storys_dates_come_from_travels_in_the_archive(seed_export):
    records = lines(seed_export)
    sicily = next(r for r in records[1:] if r["fields"].get("slug") == "sicily-dj-party")
    assert sicily["fields"]["dates_from"] == "inferred"
    assert "Saturday night" in sicily["fields"]["dates_note"]
    load(seed_export)
    assert Story.objects.get(slug="sicily-dj-party").dates_from == Story.DateBasis.INFERRED


def test_archive_written_before_dates_had_a_provenance_loads_them_as_the_sources(seed_export):
    records = lines(seed_export)
    for name in ("dates_from", "dates_note"):
        records[0]["models"]["stories.story"].remove(name)
    for record in records[1:]:
        record["fields"].pop("dates_from", None)
        record["fields"].pop("dates_note", None)
    write_lines(seed_export, records)
    load(seed_export)
    assert set(Story.objects.values_list("dates_from", "dates_note")) == {("source", "")}
