import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Count

from stories.interchange import synthetic
from stories.interchange.archive import archived_fields, archived_m2m
from stories.interchange.synthetic import SyntheticArchive
from stories.models import City, LinkedPost, LoadRecord, Performer, Story

pytestmark = pytest.mark.django_db

STORIES = 300


@pytest.fixture(scope="module")
def records():
    """One small synthetic archive's records, shared by the tests that only read them."""
    return list(SyntheticArchive(STORIES, seed=5).records())


def of(records, model):
    return [r["fields"] for r in records if r.get("model") == f"stories.{model}"]


def generate(tmp_path, name, **options):
    path = tmp_path / name
    call_command("generate_archive", output=str(path), stdout=StringIO(), **options)
    return path.read_bytes()


def test_same_seed_gives_the_same_archive(tmp_path):
    first = generate(tmp_path, "a.jsonl", stories=80, seed=11)
    assert generate(tmp_path, "b.jsonl", stories=80, seed=11) == first


def test_another_seed_gives_another_archive(tmp_path):
    first = generate(tmp_path, "a.jsonl", stories=80, seed=11)
    assert generate(tmp_path, "b.jsonl", stories=80, seed=12) != first


def test_generated_file_loads_and_exports_back_byte_for_byte(tmp_path):
    generated = generate(tmp_path, "a.jsonl", stories=120, seed=2)
    call_command("load_archive", str(tmp_path / "a.jsonl"), stdout=StringIO())
    call_command("export_archive", str(tmp_path / "b.jsonl"), stdout=StringIO())
    assert (tmp_path / "b.jsonl").read_bytes() == generated


def test_generated_file_starts_with_the_archive_header(tmp_path):
    first_line = generate(tmp_path, "a.jsonl", stories=5).split(b"\n", 1)[0]
    assert json.loads(first_line)["format"] == "lockdown-solidarity-archive"


def test_generating_into_the_database_writes_the_stories_and_a_load_record():
    call_command("generate_archive", stories=60, seed=3, stdout=StringIO())
    assert Story.objects.count() == 60
    record = LoadRecord.objects.get()
    assert record.command == "generate_archive"
    assert record.source == "synthetic archive: 60 stories, seed 3"


def test_generating_into_an_archive_that_is_not_empty_is_refused():
    call_command("loaddata", "seed", verbosity=0)
    with pytest.raises(CommandError, match="already holds"):
        call_command("generate_archive", stories=10, stdout=StringIO())
    assert Story.objects.count() == 6


def test_generated_archive_has_every_status(records):
    assert {s["status"] for s in of(records, "story")} == set(Story.Status.values)


def test_generated_stories_have_from_zero_to_five_posts(records):
    posts = Counter(tuple(p["story"]) for p in of(records, "linkedpost"))
    counts = [posts[(s["slug"],)] for s in of(records, "story")]
    assert min(counts) == 0
    assert max(counts) == 5


def test_generated_dates_lie_between_march_2020_and_june_2021(records):
    days = [s["start_date"] for s in of(records, "story") if s["start_date"]]
    days += [s["end_date"] for s in of(records, "story") if s["end_date"]]
    assert min(days) >= "2020-03-01"
    assert max(days) <= "2021-06-30"


def test_generated_dates_cluster_in_the_first_lockdown(records):
    days = [
        datetime.date.fromisoformat(s["start_date"])
        for s in of(records, "story")
        if s["start_date"]
    ]
    spring = [d for d in days if datetime.date(2020, 3, 1) <= d <= datetime.date(2020, 5, 1)]
    # Two months of sixteen hold far more than their eighth of the stories.
    assert len(spring) > len(days) / 3


def test_generated_cities_are_gazetteer_cities_with_coordinates(records):
    cities = of(records, "city")
    assert len(cities) == 2000
    florence = next(c for c in cities if c["slug"] == "florence")
    assert (florence["geonames_id"], florence["latitude"]) == (3176959, "43.77925")


def test_generated_stories_lean_to_italy_and_spain(records):
    country = {c["slug"]: c["country"][0] for c in of(records, "city")}
    links = [country[slug] for s in of(records, "story") for (slug,) in s["cities"]]
    italy_and_spain = sum(code in ("IT", "ES") for code in links)
    assert italy_and_spain / len(links) > 0.45


def test_generated_performers_are_shared_between_stories():
    call_command("generate_archive", stories=200, seed=4, stdout=StringIO())
    busiest = Performer.objects.annotate(n=Count("stories")).order_by("-n").first()
    assert busiest.n > 1


def test_generated_posts_have_unique_urls_and_derived_platforms():
    call_command("generate_archive", stories=200, seed=4, stdout=StringIO())
    urls = list(LinkedPost.objects.values_list("url", flat=True))
    assert len(urls) == len(set(urls))
    twitter = LinkedPost.objects.filter(url__startswith="https://twitter.com/").first()
    assert twitter.platform == LinkedPost.Platform.TWITTER


def test_generated_cities_get_slugs_unique_by_country():
    call_command("generate_archive", stories=10, seed=4, stdout=StringIO())
    assert City.objects.filter(slug="valencia", country__code="ES").exists()
    assert City.objects.filter(slug="valencia-ve", country__code="VE").exists()


def test_generated_records_carry_exactly_the_archived_fields_in_order(records):
    for record in records[1:]:
        model = apps.get_model(record["model"])
        names = [f.name for f in archived_fields(model) + archived_m2m(model)]
        assert list(record["fields"]) == names


def story_field_added(monkeypatch, field):
    """Stories archive `field` too, as if it had just been added to the model."""
    field.set_attributes_from_name("mood")
    field.model = Story
    archived = synthetic.archived_fields
    monkeypatch.setattr(
        synthetic,
        "archived_fields",
        lambda model: archived(model) + ([field] if model is Story else []),
    )


def test_a_new_story_field_with_a_default_is_generated_with_it(monkeypatch):
    story_field_added(monkeypatch, models.CharField(max_length=20, default="calm"))
    stories = of(list(SyntheticArchive(20, seed=5).records()), "story")
    assert len(stories) == 20
    assert {story["mood"] for story in stories} == {"calm"}


def test_a_new_story_field_without_a_default_stops_generation_naming_it(monkeypatch):
    story_field_added(monkeypatch, models.CharField(max_length=20))
    with pytest.raises(ValueError, match=r"stories.story records lack \['mood'\]"):
        list(SyntheticArchive(5, seed=5).records())


def test_some_generated_stories_are_dated_by_a_curator_and_say_how(records):
    stories = of(records, "story")
    inferred = [s for s in stories if s["dates_from"] == "inferred"]
    assert 0.2 < len(inferred) / len(stories) < 0.4
    assert all(s["dates_note"] and s["start_date"] for s in inferred)
    assert all(s["dates_note"] == "" for s in stories if s["dates_from"] == "source")
