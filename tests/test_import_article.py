import datetime
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from stories.interchange import ingest
from stories.interchange.gazetteer import Gazetteer
from stories.models import City, Country, LinkedPost, Region, SourceArticle, Story

pytestmark = pytest.mark.django_db

# A byte-for-byte copy of shared/seed/article-2020-03-16.txt, the article the seed was
# written from.
SEED_ARTICLE = Path(__file__).parent / "articles" / "article-2020-03-16.txt"

PORTUGAL = """ date 2020-04-02 Neighbours in Lisbon sang the national anthem from their windows.

The singing went on for an hour. Nobody filmed the first part.

A violinist in Porto played for the street below. Two posts show it.

What a night in Porto — Rui Costa (@ruicosta) April 1, 2020 \
The whole street came out — Ana Lima (@analima) April 2, 2020

A trainer led a workout for the block in Coimbra.

Morning workout with the neighbours pic.twitter.com/AbC123 — Joana (@joana_fit)
"""

GREECE = """ date 2020-03-30 Residents of Athens applauded doctors at nine in the evening.

Athens clapping for the doctors tonight pic.twitter.com/Xyz789 — Nikos P (@nikosp) March 29, 2020
"""


def write(tmp_path, text, name="article.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def extracted(path):
    out = call_command_output("import_article", str(path), "--json", "--dry-run")
    return json.loads(out)[0]


def call_command_output(*args):
    from io import StringIO

    stdout = StringIO()
    call_command(*args, stdout=stdout)
    return stdout.getvalue()


def counts():
    return [
        model.objects.count() for model in (SourceArticle, Story, LinkedPost, City, Region, Country)
    ]


def all_posts(article):
    return [post for story in article["stories"] for post in story["posts"]]


def all_places(article):
    return {(p["name"], p["country"], p["kind"]) for s in article["stories"] for p in s["places"]}


def test_seed_article_gives_four_posts_with_their_handles_and_dates():
    article = extracted(SEED_ARTICLE)
    assert [(post["handle"], post["posted_on"]) for post in all_posts(article)] == [
        ("MuhammadLila", "2020-03-14"),
        ("dschmudde", "2020-03-13"),
        ("AndrewArruda", "2020-03-14"),
        ("Modernstudies_", "2020-03-15"),
    ]


def test_seed_article_posts_keep_author_text_and_media_link():
    first = all_posts(extracted(SEED_ARTICLE))[0]
    assert first["author_name"] == "Muhammad Lila"
    assert first["url"] == ""
    assert first["media_url"] == "https://pic.twitter.com/yVgADAU9bt"
    assert first["text"].startswith("During Italy's quarantine")
    assert first["text"].endswith("serenaded the entire town.\n\nWow.")


def test_seed_article_finds_its_six_places():
    assert all_places(extracted(SEED_ARTICLE)) == {
        ("Florence", "IT", "city"),
        ("Turin", "IT", "city"),
        ("Palermo", "IT", "city"),
        ("Madrid", "ES", "city"),
        ("Granada", "ES", "city"),
        ("Sicily", "IT", "region"),
    }


def test_seed_article_json_carries_the_article_date():
    assert extracted(SEED_ARTICLE)["date"] == "2020-03-16"


def test_sicily_is_a_region_and_not_a_city():
    article = extracted(SEED_ARTICLE)
    sicily = next(s for s in article["stories"] if any(p["name"] == "Sicily" for p in s["places"]))
    assert sicily["places"] == [{"name": "Sicily", "country": "IT", "kind": "region"}]


def test_import_creates_drafts_with_posts_places_and_source():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    assert Story.objects.count() == 6
    assert not Story.objects.published().exists()
    assert set(Story.objects.values_list("status", flat=True)) == {Story.Status.DRAFT}
    assert LinkedPost.objects.count() == 4
    source = SourceArticle.objects.get()
    assert source.published_on == datetime.date(2020, 3, 16)
    assert source.stories.count() == 6


def test_imported_story_is_dated_by_its_post_and_says_so():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    story = Story.objects.get(cities__slug="florence")
    assert story.start_date == story.end_date == datetime.date(2020, 3, 14)
    assert "Muhammad Lila" in story.curator_notes


def test_story_without_a_post_has_no_date():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    story = Story.objects.get(cities__slug="madrid")
    assert story.start_date is None
    assert sorted(story.cities.values_list("slug", flat=True)) == ["granada", "madrid"]


def test_every_imported_story_and_post_has_its_first_version_in_the_history():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    reason = "Imported from article-2020-03-16.txt"
    for model in (Story, LinkedPost):
        versions = model.history.all()
        assert sorted(v.id for v in versions) == sorted(model.objects.values_list("id", flat=True))
        assert {(v.history_type, v.history_change_reason) for v in versions} == {("+", reason)}


def test_new_cities_get_their_gazetteer_coordinates_and_id():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    florence = City.objects.get(slug="florence")
    assert florence.country.code == "IT"
    assert (str(florence.latitude), str(florence.longitude)) == ("43.77925", "11.24626")
    assert florence.geonames_id == 3176959


def test_reimporting_an_article_changes_nothing():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    before = counts()
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    assert counts() == before


def test_importing_the_seeded_article_adds_nothing_to_the_seed():
    call_command("loaddata", "seed", verbosity=0)
    before = counts()
    out = call_command_output("import_article", str(SEED_ARTICLE))
    assert counts() == before
    assert "already imported" in out


def test_dry_run_writes_nothing_and_says_what_it_would_do():
    out = call_command_output("import_article", str(SEED_ARTICLE), "--dry-run")
    assert counts() == [0, 0, 0, 0, 0, 0]
    assert "would have created 1 source, 6 stories, 4 posts" in out


def test_florence_in_an_article_about_italy_is_the_italian_one(tmp_path):
    path = write(tmp_path, " date 2020-03-20 In Italy, a tenor sang in Florence.\n")
    assert all_places(extracted(path)) == {("Florence", "IT", "city")}


def test_florence_next_to_alabama_is_the_one_in_alabama(tmp_path):
    path = write(tmp_path, " date 2020-03-20 A choir sang in Florence, Alabama.\n")
    assert ("Florence", "US", "city") in all_places(extracted(path))


def test_article_about_portugal_finds_its_cities(tmp_path):
    places = all_places(extracted(write(tmp_path, PORTUGAL)))
    assert {("Lisbon", "PT", "city"), ("Porto", "PT", "city"), ("Coimbra", "PT", "city")} <= places


def test_several_posts_in_one_paragraph_make_one_story(tmp_path):
    article = extracted(write(tmp_path, PORTUGAL))
    porto = next(s for s in article["stories"] if len(s["posts"]) == 2)
    assert [(p["handle"], p["posted_on"]) for p in porto["posts"]] == [
        ("ruicosta", "2020-04-01"),
        ("analima", "2020-04-02"),
    ]
    assert [p["text"] for p in porto["posts"]] == [
        "What a night in Porto",
        "The whole street came out",
    ]


def test_post_without_media_keeps_an_empty_media_link(tmp_path):
    post = all_posts(extracted(write(tmp_path, PORTUGAL)))[0]
    assert post["media_url"] == ""


def test_post_without_a_date_line_has_no_date(tmp_path):
    joana = all_posts(extracted(write(tmp_path, PORTUGAL)))[-1]
    assert joana["handle"] == "joana_fit"
    assert joana["posted_on"] is None
    assert joana["media_url"] == "https://pic.twitter.com/AbC123"


def test_prose_without_a_post_after_it_is_a_story_of_its_own(tmp_path):
    article = extracted(write(tmp_path, PORTUGAL))
    assert [len(story["posts"]) for story in article["stories"]] == [0, 0, 2, 1]


def test_article_from_greece_is_imported_with_a_new_country(tmp_path):
    call_command("import_article", str(write(tmp_path, GREECE)), verbosity=0)
    story = Story.objects.get()
    assert [c.slug for c in story.cities.all()] == ["athens"]
    assert Country.objects.get(code="GR").name == "Greece"
    assert story.posts.get().posted_on == datetime.date(2020, 3, 29)


def test_a_post_already_archived_elsewhere_is_not_duplicated(tmp_path):
    call_command("import_article", str(write(tmp_path, GREECE, "first.txt")), verbosity=0)
    again = GREECE.replace("Residents of Athens", "People in Athens")
    call_command("import_article", str(write(tmp_path, again, "second.txt")), verbosity=0)
    assert LinkedPost.objects.count() == 1
    assert Story.objects.get().sources.count() == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\x01\x02\x89PNG", "is not a text file"),
        (b"", "is empty"),
        (b"Neighbours sang from their balconies.\n", "has no date header"),
        (b" date 2020-02-31 Text.\n", "has an impossible date"),
        (b"\xff\xfe date", "is not UTF-8"),
    ],
)
def test_a_file_that_is_not_an_article_is_refused_naming_file_and_reason(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=rf"bad\.txt: {reason}"):
        call_command("import_article", str(path))


def test_one_bad_file_among_good_ones_writes_nothing(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"no header here\n")
    with pytest.raises(CommandError):
        call_command("import_article", str(SEED_ARTICLE), str(bad))
    assert counts() == [0, 0, 0, 0, 0, 0]


# Long articles, impossible values: clear refusals, time linear in the article's length


def copies_of_the_seed(count):
    """The seed article's body `count` times, each copy's posts given their own handle and
    media link (as bench/import_article.py builds its articles)."""
    body = SEED_ARTICLE.read_text(encoding="utf-8").removeprefix(" date 2020-03-16 ").strip()
    parts = []
    for number in range(count):
        part = body.replace("pic.twitter.com/", f"pic.twitter.com/c{number}x")
        parts.append(re.sub(r"\(@(\w+)\)", rf"(@\g<1>{number})", part))
    return " date 2020-03-16 " + "\n\n".join(parts) + "\n"


def test_finding_places_reads_the_article_a_bounded_number_of_times(tmp_path, monkeypatch):
    """The gazetteer reads each story's text and the whole article once, not the article once
    per story: what it reads grows with the article, not with its square."""
    read = []
    original = Gazetteer._candidates

    def counting(self, text):
        read.append(len(text))
        return original(self, text)

    monkeypatch.setattr(Gazetteer, "_candidates", counting)
    for count in (2, 20):
        read.clear()
        text = copies_of_the_seed(count)
        extracted(write(tmp_path, text, f"copies-{count}.txt"))
        assert sum(read) <= 3 * len(text)


def test_queries_grow_with_the_number_of_stories_not_faster(tmp_path):
    """Each story costs the same number of queries however long the article is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    used = {}
    for count in (2, 6):
        flush_archive()
        path = write(tmp_path, copies_of_the_seed(count), f"copies-{count}.txt")
        with CaptureQueriesContext(connection) as queries:
            call_command("import_article", str(path), verbosity=0)
        assert Story.objects.count() == 6 * count
        used[count] = len(queries)
    per_story = (used[6] - used[2]) / (6 * 4)
    assert used[6] <= used[2] + per_story * 6 * 4 + 1
    assert per_story < 40


def flush_archive():
    for model in (LinkedPost, Story, SourceArticle, City, Region, Country):
        model.objects.all().delete()


def test_an_article_over_the_limit_is_refused_naming_file_and_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_ARTICLE_BYTES", 2 * 2**20)
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.write(b" date 2020-03-16 ")
        file.write(b"Neighbours sang in Turin.\n\n" * (2 * 2**20 // 27 + 1))
    with pytest.raises(CommandError, match=r"huge\.txt: is larger than the 2 MB") as refusal:
        call_command("import_article", str(path))
    assert "Nothing was imported" in str(refusal.value)
    assert counts() == [0, 0, 0, 0, 0, 0]


def test_the_documented_limit_is_five_megabytes():
    assert ingest.MAX_ARTICLE_BYTES == 5 * 2**20


def test_an_article_of_exactly_the_limit_is_read(tmp_path, monkeypatch):
    text = copies_of_the_seed(3).encode()
    monkeypatch.setattr(ingest, "MAX_ARTICLE_BYTES", len(text))
    path = tmp_path / "exact.txt"
    path.write_bytes(text)
    assert len(extracted(path)["stories"]) == 18


def test_an_impossible_post_date_is_refused_naming_file_and_line(tmp_path):
    text = PORTUGAL.replace("April 1, 2020", "February 30, 2020")
    path = write(tmp_path, text, "portugal.txt")
    line = text.splitlines().index(next(x for x in text.splitlines() if "February 30" in x)) + 1
    with pytest.raises(
        CommandError, match=rf"portugal\.txt, line {line}: .*February 30, 2020.*does not exist"
    ):
        call_command("import_article", str(path))
    assert counts() == [0, 0, 0, 0, 0, 0]


def test_an_author_name_longer_than_the_column_is_refused_naming_file_and_line(tmp_path):
    limit = LinkedPost._meta.get_field("author_name").max_length
    name = "Ana " + "Lima" * (limit // 4)
    text = PORTUGAL.replace("Ana Lima", name)
    path = write(tmp_path, text, "portugal.txt")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if name in x)
    with pytest.raises(CommandError, match=rf"portugal\.txt, line {line}: .*author name") as exc:
        call_command("import_article", str(path))
    assert f"at most {limit} characters" in str(exc.value)
    assert counts() == [0, 0, 0, 0, 0, 0]


def test_a_handle_longer_than_the_column_is_not_taken_for_a_post_at_all(tmp_path):
    """The signature only reads handles of up to 50 characters (the platforms' limits are
    shorter still); a longer one leaves the text as prose."""
    text = PORTUGAL.replace("@analima", "@" + "a" * 120)
    handles = [p["handle"] for p in all_posts(extracted(write(tmp_path, text)))]
    assert all(len(h) <= LinkedPost._meta.get_field("handle").max_length for h in handles)


def test_a_post_dated_in_the_future_is_refused_naming_the_line(tmp_path):
    # In the future, yet inside the archive's date range (up to 2099), so the post's date is
    # the only thing wrong.
    text = GREECE.replace("March 29, 2020", "March 29, 2098")
    path = write(tmp_path, text, "greece.txt")
    with pytest.raises(CommandError, match=r"greece\.txt, line 3: .*posted on.*future"):
        call_command("import_article", str(path))
    assert counts() == [0, 0, 0, 0, 0, 0]


def test_a_very_long_file_name_still_gives_slugs_that_fit(tmp_path):
    name = "a" * 230 + ".txt"
    call_command("import_article", str(write(tmp_path, PORTUGAL, name)), verbosity=0)
    length = Story._meta.get_field("slug").max_length
    assert Story.objects.count() == 4
    assert all(len(slug) <= length for slug in Story.objects.values_list("slug", flat=True))


def test_an_imported_story_has_one_version_with_all_its_links(tmp_path):
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    story = Story.objects.get(cities__slug="madrid")
    versions = list(story.history.all())
    assert len(versions) == 1
    assert sorted(c.city.slug for c in versions[0].cities.all()) == ["granada", "madrid"]
    assert [s.sourcearticle.slug for s in versions[0].sources.all()] == ["article-2020-03-16"]


def test_the_source_keeps_the_whole_article_text():
    call_command("import_article", str(SEED_ARTICLE), verbosity=0)
    text = SEED_ARTICLE.read_text(encoding="utf-8").removeprefix(" date 2020-03-16 ").strip()
    assert SourceArticle.objects.get().excerpt == text


def test_the_garbage_collector_is_on_again_after_an_import_even_a_refused_one(tmp_path):
    import gc

    assert gc.isenabled()
    call_command_output("import_article", str(SEED_ARTICLE), "--dry-run")
    assert gc.isenabled()
    with pytest.raises(CommandError):
        call_command("import_article", str(write(tmp_path, "no header")))
    assert gc.isenabled()
