"""`manage.py capture_posts` and `verify_copies` against a local server (tests/sites.py)."""

import gzip
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from preservation.models import ArchivedCopy, LinkCheck, copies_storage
from tests import factories
from tests.sites import MP4, PAGE, ROUTES, serving

pytestmark = pytest.mark.django_db

FAST = ["--timeout", "2", "--per-host", "1000"]


def a_post(url="", media_url="", slug=None):
    story = factories.story("Nessun Dorma from a balcony", **({"slug": slug} if slug else {}))
    return factories.post(story, url=url, media_url=media_url)


def stored(copy, name=None):
    with copies_storage().open(name or copy.file.name, "rb") as handle:
        return handle.read()


def records(copy):
    """[(type, target, status, payload)] of a WARC copy, read back by warcio."""
    found = []
    for record in ArchiveIterator(io.BytesIO(stored(copy))):
        response = record.rec_type == "response"
        status = record.http_headers.get_statuscode() if response else None
        payload = record.content_stream().read()
        target = record.rec_headers.get_header("WARC-Target-URI")
        found.append((record.rec_type, target, status, payload))
    return found


def test_a_post_and_its_picture_are_kept_as_warc_files_and_the_picture_itself(capsys):
    with serving() as site:
        post = a_post(site.url("/ok"), site.url("/photo.jpg"))
        call_command("capture_posts", *FAST)
    warcs = post.copies.filter(kind="capture").order_by("original_url")
    assert [copy.original_url for copy in warcs] == [site.url("/ok"), site.url("/photo.jpg")]
    page = warcs[0]
    assert [(kind, target, status) for kind, target, status, _ in records(page)] == [
        ("warcinfo", None, None),
        ("request", site.url("/ok"), None),
        ("response", site.url("/ok"), "200"),
    ]
    assert records(page)[2][3] == PAGE
    assert page.media_type == "application/warc"
    assert page.captured_by == "capture_posts"
    image = post.copies.get(kind="image")
    assert stored(image) == ROUTES["/photo.jpg"][2]
    assert image.sha256 == hashlib.sha256(ROUTES["/photo.jpg"][2]).hexdigest()
    assert image.size == len(ROUTES["/photo.jpg"][2])
    assert image.media_type == "image/jpeg"
    assert "Captured 2 of 2 addresses (2 WARC files, 1 images, 0 videos)" in capsys.readouterr().out
    assert set(LinkCheck.objects.values_list("status", "checked_by")) == {("live", "capture_posts")}


def test_visitors_get_the_picture_without_where_it_was_taken():
    with serving() as site:
        post = a_post(media_url=site.url("/photo.jpg"))
        call_command("capture_posts", *FAST)
    image = post.copies.get(kind="image")
    original = Image.open(io.BytesIO(stored(image))).getexif()
    public = Image.open(io.BytesIO(stored(image, image.public_file.name))).getexif()
    assert original.get_ifd(0x8825)  # the editors' original keeps it
    assert not public.get_ifd(0x8825)
    assert public[0x010F] == "Balcony Camera"  # the rest of the metadata stays
    assert image.public_sha256 == hashlib.sha256(stored(image, image.public_file.name)).hexdigest()
    assert image.served_file == image.public_file


def test_a_video_link_keeps_the_video():
    with serving() as site:
        post = a_post(media_url=site.url("/clip.mp4"))
        call_command("capture_posts", *FAST)
    video = post.copies.get(kind="video")
    assert (video.media_type, stored(video)) == ("video/mp4", MP4)


def test_a_media_link_that_is_not_a_picture_keeps_only_the_warc():
    with serving() as site:
        post = a_post(media_url=site.url("/not-a-picture.jpg"))
        call_command("capture_posts", *FAST)
    assert list(post.copies.values_list("kind", flat=True)) == ["capture"]


def test_a_redirect_chain_is_in_the_warc_hop_by_hop():
    with serving() as site:
        post = a_post(site.url("/chain-1"))
        call_command("capture_posts", *FAST)
    responses = [(t, s) for kind, t, s, _ in records(post.copies.get()) if kind == "response"]
    assert responses == [
        (site.url("/chain-1"), "301"),
        (site.url("/chain-2"), "302"),
        (site.url("/chain-3"), "301"),
        (site.url("/ok"), "200"),
    ]
    check = LinkCheck.objects.get()
    assert (check.status, check.moved_to) == ("moved", site.url("/ok"))


def test_a_chunked_answer_is_stored_whole_and_says_how_it_came():
    with serving() as site:
        post = a_post(site.url("/chunked"))
        call_command("capture_posts", *FAST)
    copy = post.copies.get()
    *_, (kind, _, _, payload) = records(copy)
    assert payload == PAGE
    raw = gzip.decompress(stored(copy))
    assert b"X-Archive-Orig-Transfer-Encoding: chunked" in raw
    assert b"\r\nTransfer-Encoding" not in raw


@pytest.mark.parametrize("path", ["/gone-404", "/withheld-451", "/loop-a", "/slow", "/trickle"])
def test_what_does_not_answer_is_recorded_and_nothing_is_kept(path, capsys):
    with serving(slow_seconds=4) as site:
        post = a_post(site.url(path))
        call_command("capture_posts", *FAST)
    assert not post.copies.exists()
    check = LinkCheck.objects.get()
    assert check.status in ("gone", "withheld", "unreachable")
    assert "Captured 0 of 1 addresses" in capsys.readouterr().out


def test_an_answer_past_the_size_limit_is_kept_cut_and_marked():
    with serving() as site:
        post = a_post(media_url=site.url("/photo.jpg"))
        call_command("capture_posts", *FAST, "--max-bytes", "100")
    copy = post.copies.get()  # the WARC only: a cut picture is not a picture
    for record in ArchiveIterator(io.BytesIO(stored(copy))):
        if record.rec_type == "response":
            assert record.rec_headers.get_header("WARC-Truncated") == "length"
            assert len(record.content_stream().read()) == 100
    assert "larger than 100 bytes" in LinkCheck.objects.get().detail


def test_a_second_run_skips_what_it_has_and_again_adds_a_new_copy(capsys):
    with serving() as site:
        post = a_post(site.url("/ok"))
        call_command("capture_posts", *FAST)
        first = post.copies.get()
        asked = len(site.requests)
        call_command("capture_posts", *FAST)
        assert len(site.requests) == asked  # nothing fetched again
        assert "0 not captured; 1 captured before" in capsys.readouterr().out.splitlines()[-1]
        call_command("capture_posts", *FAST, "--again")
    assert post.copies.count() == 2
    kept = ArchivedCopy.objects.get(pk=first.pk)
    assert (kept.sha256, kept.file.name, kept.captured_at) == (
        first.sha256,
        first.file.name,
        first.captured_at,
    )


def test_only_the_story_asked_for_is_captured():
    with serving() as site:
        asked = a_post(site.url("/ok"), slug="asked")
        other = a_post(site.url("/clip.mp4"), slug="other")
        call_command("capture_posts", *FAST, "--story", "asked")
    assert asked.copies.exists()
    assert not other.copies.exists()


def test_since_takes_the_stories_changed_that_day_or_later():
    with serving() as site:
        old = a_post(site.url("/ok"), slug="old")
        new = a_post(site.url("/clip.mp4"), slug="new")
        type(old.story).objects.filter(pk=old.story.pk).update(updated_at="2020-03-01T10:00Z")
        call_command("capture_posts", *FAST, "--since", "2021-01-01")
    assert not old.copies.exists()
    assert new.copies.exists()


def test_bad_arguments_are_refused_with_the_reason():
    with pytest.raises(CommandError, match="No story “nope”"):
        call_command("capture_posts", "--story", "nope")
    with pytest.raises(CommandError, match="argument --since"):
        call_command("capture_posts", "--since", "yesterday")


def test_a_copy_is_never_altered_but_may_be_hidden_with_a_reason():
    with serving() as site:
        post = a_post(site.url("/ok"))
        call_command("capture_posts", *FAST)
    copy = post.copies.get()
    for change in ({"sha256": "0" * 64}, {"size": 1}, {"original_url": "https://x.example/"}):
        with pytest.raises(IntegrityError, match="never altered"), transaction.atomic():
            ArchivedCopy.objects.filter(pk=copy.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArchivedCopy.objects.filter(pk=copy.pk).update(hidden=True)  # no reason
    ArchivedCopy.objects.filter(pk=copy.pk).update(hidden=True, hidden_reason="Takedown request 4")
    assert ArchivedCopy.objects.get(pk=copy.pk).sha256 == copy.sha256


def test_verify_copies_passes_on_unchanged_files(capsys):
    with serving() as site:
        a_post(site.url("/ok"), site.url("/photo.jpg"))
        call_command("capture_posts", *FAST)
    capsys.readouterr()
    call_command("verify_copies")
    assert capsys.readouterr().out == "All 3 copies' files are present and unchanged.\n"


def test_verify_copies_names_a_changed_and_a_missing_file_and_fails(capsys):
    with serving() as site:
        post = a_post(site.url("/ok"), site.url("/photo.jpg"))
        call_command("capture_posts", *FAST)
    image = post.copies.get(kind="image")
    page = post.copies.get(original_url=site.url("/ok"))
    storage = copies_storage()
    with open(storage.path(image.public_file.name), "ab") as handle:
        handle.write(b"\x00")  # one byte more
    storage.delete(page.file.name)
    with pytest.raises(CommandError, match="2 of 3 copies' files are missing or changed"):
        call_command("verify_copies")
    err = capsys.readouterr().err
    assert f"copy {image.pk}: {image.public_file.name} is changed: SHA-256 " in err
    assert f"copy {page.pk}: {page.file.name} is missing" in err
