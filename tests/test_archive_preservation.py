"""The archive format's preservation records (version 2): archived copies with their files
beside the archive, link checks and correction requests; a version 1 file still loads."""

import datetime
import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from preservation import files
from preservation.models import ArchivedCopy, CorrectionRequest, LinkCheck, copies_storage
from stories.interchange import bulk_load, parallel
from stories.interchange.archive import VERSION, default_value
from stories.models import LinkedPost, LoadRecord, Story
from tests import factories
from tests.factories import export, flush
from tests.sites import MP4, jpeg_with_location, serving

pytestmark = pytest.mark.django_db

V1_SEED = Path(__file__).parent / "archives" / "seed-v1.jsonl"
AT = timezone.make_aware(datetime.datetime(2020, 3, 20, 9, 30))
FAST = ["--timeout", "2", "--per-host", "1000"]


def load(path):
    out = StringIO()
    call_command("load_archive", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def lines(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def write_lines(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def tree(folder):
    """{relative name: bytes} of every file under `folder`."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def new_storage(settings, tmp_path_factory):
    """Point the copies storage at an empty folder, as on the machine an archive moves to."""

    def switch():
        settings.STORAGES = {
            **settings.STORAGES,
            "copies": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path_factory.mktemp("elsewhere"), "base_url": None},
            },
        }
        return Path(settings.STORAGES["copies"]["OPTIONS"]["location"])

    return switch


def copy_of(post, kind, data, media_type, at=AT):
    return files.new_copy(
        post,
        kind=kind,
        data=data,
        media_type=media_type,
        original_url=post.media_url or post.url,
        captured_by="editor",
        captured_at=at,
    )


@pytest.fixture
def kept():
    """Two stories: one with a picture (with location: a public derivative too), a video and a
    WARC, link checks of its posts and of its source, and two correction requests; a draft
    with a hidden copy."""
    source = factories.source(slug="la-repubblica", url="https://example.org/article")
    story = factories.story("Applause in Madrid", slug="applause", sources=[source])
    first = factories.post(
        story, url="https://twitter.com/a/status/1", media_url="https://pic.twitter.com/a"
    )
    second = factories.post(story, url="https://twitter.com/b/status/2")
    copy_of(first, "image", jpeg_with_location(), "image/jpeg")
    copy_of(first, "video", MP4, "video/mp4", at=AT + datetime.timedelta(hours=1))
    copy_of(second, "capture", b"WARC/1.1 not really gzipped", "application/warc")
    for post, status in ((first, "gone"), (second, "live")):
        LinkCheck.objects.create(
            post=post,
            role="post",
            url=post.url,
            status=status,
            checked_at=AT,
            checked_by="check_links",
        )
    LinkCheck.objects.create(
        source=source,
        role="source",
        url=source.url,
        status="moved",
        http_status=301,
        moved_to="https://example.org/moved",
        checked_at=AT,
        checked_by="check_links",
    )
    CorrectionRequest.objects.create(
        story=story,
        post=second,
        about="post",
        asking="removal",
        reason="That is me; please hide it.",
        contact="me@example.org",
        received_at=AT,
        status="accepted",
        editor_notes="Hidden.",
    )
    CorrectionRequest.objects.create(
        story=story, about="fact", asking="correction", reason="It was Granada.", received_at=AT
    )
    LinkedPost.objects.filter(pk=second.pk).update(hidden=True, hidden_reason="It is me.")
    draft = factories.story("A draft", slug="draft", status=Story.Status.DRAFT)
    hidden = copy_of(
        factories.post(draft, url="https://twitter.com/c/status/3"),
        "capture",
        b"x",
        "application/warc",
    )
    ArchivedCopy.objects.filter(pk=hidden.pk).update(hidden=True, hidden_reason="Takedown request")
    return story


def test_round_trip_keeps_every_record_and_file_byte_for_byte(kept, tmp_path, new_storage):
    first = export(tmp_path / "first.jsonl")
    first_files = tree(tmp_path / "first.files")
    flush()
    storage_root = new_storage()
    out = load(tmp_path / "first.jsonl")
    assert "4 archived copies, 3 link checks, 2 correction requests" in out
    assert export(tmp_path / "second.jsonl") == first
    assert tree(tmp_path / "second.files") == first_files
    # The files are in the new machine's storage, and fixity holds there.
    picture = ArchivedCopy.objects.get(kind="image")
    assert (storage_root / picture.file.name).read_bytes() == jpeg_with_location()
    assert (storage_root / picture.public_file.name).exists()
    call_command("verify_copies", stdout=StringIO())
    hidden = ArchivedCopy.objects.get(post__story__slug="draft")
    assert (hidden.hidden, hidden.hidden_reason) == (True, "Takedown request")
    hidden_post = LinkedPost.objects.get(story__slug="applause", position=2)
    assert (hidden_post.hidden, hidden_post.hidden_reason) == (True, "It is me.")
    request = CorrectionRequest.objects.get(asking="removal")
    assert (request.post.position, request.contact, request.status) == (
        2,
        "me@example.org",
        "accepted",
    )
    source_check = LinkCheck.objects.get(role="source")
    assert (source_check.source.slug, source_check.moved_to) == (
        "la-repubblica",
        "https://example.org/moved",
    )


def test_a_real_capture_survives_the_round_trip(tmp_path, new_storage):
    with serving() as site:
        post = factories.post(
            factories.story(slug="balcony"), url=site.url("/ok"), media_url=site.url("/photo.jpg")
        )
        call_command("capture_posts", *FAST, stdout=StringIO())
        call_command("check_links", *FAST, stdout=StringIO())
    digests = sorted(post.copies.values_list("sha256", flat=True))
    first = export(tmp_path / "a.jsonl")
    flush()
    new_storage()
    load(tmp_path / "a.jsonl")
    assert sorted(ArchivedCopy.objects.values_list("sha256", flat=True)) == digests
    assert export(tmp_path / "b.jsonl") == first


def test_the_records_sit_where_the_format_says(kept, tmp_path):
    export(tmp_path / "a.jsonl")
    records = lines(tmp_path / "a.jsonl")
    models = [r.get("model") for r in records]
    assert records[0]["version"] == VERSION == 2
    first_story = models.index("stories.story")
    source_check = next(
        i for i, r in enumerate(records) if r.get("fields", {}).get("role") == "source"
    )
    assert models[source_check - 1] == "stories.sourcearticle"
    assert source_check < first_story
    at = next(i for i, r in enumerate(records) if r.get("fields", {}).get("slug") == "applause")
    assert models[at : at + 10] == [
        "stories.story",
        *["stories.linkedpost"] * 2,
        *["preservation.archivedcopy"] * 3,
        *["preservation.linkcheck"] * 2,
        *["preservation.correctionrequest"] * 2,
    ]
    copies = [r["fields"] for r in records[at + 3 : at + 6]]
    assert [c["post"] for c in copies] == [["applause", 1], ["applause", 1], ["applause", 2]]
    assert [c["kind"] for c in copies] == ["image", "video", "capture"]


def test_the_manifest_lists_each_file_once_with_its_checksum(kept, tmp_path):
    export(tmp_path / "a.jsonl")
    folder = tmp_path / "a.files"
    manifest = (folder / "manifest-sha256.txt").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in manifest)
    on_disk = {name for name in tree(folder) if name != "manifest-sha256.txt"}
    assert set(listed) == on_disk
    assert len(manifest) == len(on_disk) == 5  # picture, its public derivative, video, 2 WARCs
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    copies = [
        r["fields"]
        for r in lines(tmp_path / "a.jsonl")
        if r.get("model") == "preservation.archivedcopy"
    ]
    assert {c["file"] for c in copies} | {
        c["public_file"] for c in copies if c["public_file"]
    } == on_disk


def test_an_archive_without_copies_writes_no_folder_and_replaces_an_old_one(kept, tmp_path):
    export(tmp_path / "a.jsonl")
    assert (tmp_path / "a.files").is_dir()
    ArchivedCopy.objects.all().delete()
    export(tmp_path / "a.jsonl")
    assert not (tmp_path / "a.files").exists()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.old"))


def test_export_refuses_a_copy_whose_file_is_gone_and_leaves_the_last_export(kept, tmp_path):
    before = export(tmp_path / "a.jsonl")
    video = ArchivedCopy.objects.get(kind="video")
    copies_storage().delete(video.file.name)
    with pytest.raises(
        CommandError, match=rf"{video.file.name} is missing from the copies storage"
    ):
        export(tmp_path / "a.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == before
    assert (tmp_path / "a.files" / video.file.name).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.files", "a.jsonl"]


def test_export_refuses_a_file_that_no_longer_matches_its_checksum(kept, tmp_path):
    video = ArchivedCopy.objects.get(kind="video")
    with copies_storage().open(video.file.name, "wb") as handle:
        handle.write(b"changed")
    with pytest.raises(CommandError, match=rf"{video.file.name} no longer matches its SHA-256"):
        export(tmp_path / "a.jsonl")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def exported(kept, tmp_path, new_storage):
    path = tmp_path / "a.jsonl"
    export(path)
    flush()
    return path, new_storage()


def copy_line(path, kind):
    return next(
        i
        for i, r in enumerate(lines(path), 1)
        if r.get("model") == "preservation.archivedcopy" and r["fields"]["kind"] == kind
    )


def assert_nothing_loaded(storage_root):
    assert not Story.objects.exists()
    assert not ArchivedCopy.objects.exists()
    assert not LoadRecord.objects.exists()
    assert not [p for p in storage_root.rglob("*") if p.is_file()]


def test_a_damaged_file_is_refused_with_its_line_and_nothing_is_kept(exported):
    path, storage_root = exported
    line = copy_line(path, "video")
    record = lines(path)[line - 1]["fields"]
    (path.parent / "a.files" / record["file"]).write_bytes(MP4 + b"!")
    with pytest.raises(
        CommandError,
        match=rf"line {line}: preservation.archivedcopy.file: .* does not match the record",
    ):
        load(path)
    assert_nothing_loaded(storage_root)


def test_a_missing_file_is_refused_with_its_line(exported):
    path, storage_root = exported
    line = copy_line(path, "capture")
    name = lines(path)[line - 1]["fields"]["file"]
    (path.parent / "a.files" / name).unlink()
    with pytest.raises(
        CommandError, match=rf"line {line}: preservation.archivedcopy.file: {name} is not in"
    ):
        load(path)
    assert_nothing_loaded(storage_root)


def test_loading_without_the_folder_says_where_it_looked(exported):
    path, storage_root = exported
    shutil.rmtree(path.parent / "a.files")
    with pytest.raises(CommandError, match=r"is not in .*a\.files"):
        load(path)
    assert_nothing_loaded(storage_root)


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "originals/00/{sha}.jpg",
        "public/{ab}/{sha}.jpg",
        "originals/{ab}/{sha}.exe",
    ],
)
def test_a_file_name_outside_the_layout_is_refused(exported, name):
    path, storage_root = exported
    records = lines(path)
    line = copy_line(path, "video")
    fields = records[line - 1]["fields"]
    fields["file"] = name.format(sha=fields["sha256"], ab=fields["sha256"][:2])
    write_lines(path, records)
    with pytest.raises(
        CommandError, match=rf"line {line}: .*is not where the format keeps this file"
    ):
        load(path)
    assert_nothing_loaded(storage_root)


def test_a_copy_of_a_post_of_another_story_is_refused(exported):
    path, _ = exported
    records = lines(path)
    line = copy_line(path, "video")
    records[line - 1]["fields"]["post"] = ["draft", 1]
    write_lines(path, records)
    with pytest.raises(
        CommandError,
        match=rf"line {line}: preservation.archivedcopy.post: refers to a post of story 'draft'",
    ):
        load(path)
    assert not Story.objects.exists()


def test_a_request_about_a_post_the_story_lacks_is_refused(exported):
    path, _ = exported
    records = lines(path)
    line = next(
        i for i, r in enumerate(records, 1) if r.get("fields", {}).get("asking") == "removal"
    )
    records[line - 1]["fields"]["post"] = ["applause", 7]
    write_lines(path, records)
    with pytest.raises(
        CommandError, match=rf"line {line}: .*post: refers to the post \['applause', 7\]"
    ):
        load(path)


def test_a_version_1_archive_still_loads(tmp_path):
    assert lines(V1_SEED)[0]["version"] == 1
    load(V1_SEED)
    assert Story.objects.count() == 6
    assert LinkedPost.objects.count() == 4
    old = lines(V1_SEED)[1:]
    new = lines(export(tmp_path / "again.jsonl") and tmp_path / "again.jsonl")[1:]
    # The same records in the same order, each field as it was; the fields added since
    # (a post's hidden flag and reason) take their defaults.
    assert [r["model"] for r in new] == [r["model"] for r in old]
    for before, after in zip(old, new, strict=True):
        added = {k: v for k, v in after["fields"].items() if k not in before["fields"]}
        assert {k: after["fields"][k] for k in before["fields"]} == before["fields"]
        model = apps.get_model(after["model"])
        assert added == {name: default_value(model._meta.get_field(name)) for name in added}
        if after["model"] == "stories.linkedpost":
            assert added.keys() >= {"hidden", "hidden_reason"}


def test_a_version_1_archive_may_not_hold_preservation_records(tmp_path):
    records = lines(V1_SEED)
    story_line = next(i for i, r in enumerate(records) if r.get("model") == "stories.story")
    slug = records[story_line]["fields"]["slug"]
    records.insert(
        story_line + 1,
        {"model": "preservation.correctionrequest", "fields": {"story": [slug], "reason": "x"}},
    )
    path = tmp_path / "v1.jsonl"
    write_lines(path, records)
    with pytest.raises(
        CommandError,
        match=rf"line {story_line + 2}: a preservation.correctionrequest record, a model the "
        "header does not list",
    ):
        load(path)


@pytest.mark.postgres
def test_workers_load_preservation_records_chunk_by_chunk(monkeypatch, kept, tmp_path, new_storage):
    monkeypatch.setattr(bulk_load, "LOAD_WORKERS", 2)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 300)
    for number in range(30):
        story = factories.story(f"Story {number}", slug=f"s-{number:02}")
        post = factories.post(story, url=f"https://twitter.com/x/status/{number + 10}")
        copy_of(post, "capture", f"capture {number}".encode(), "application/warc")
    first = export(tmp_path / "a.jsonl")
    flush()
    new_storage()
    load(tmp_path / "a.jsonl")
    assert ArchivedCopy.objects.count() == 34
    assert export(tmp_path / "b.jsonl") == first
