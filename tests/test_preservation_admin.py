"""Every admin page of copies and link checks, for a copy of a story in every status and for
every role: the list, the upload form, a copy's page, hiding it, its history, each history
record, a revert; and the deletes nobody may make."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from preservation import admin as preservation_admin
from preservation import files
from preservation.models import ArchivedCopy, LinkCheck
from stories.models import Story
from tests import factories
from tests.sites import MP4, jpeg_with_location

pytestmark = pytest.mark.django_db

STATUSES = [s.value for s in Story.Status]
ROLES = ["superuser", "editor", "contributor"]


@pytest.fixture
def as_role(client, request):
    def login(role):
        if role == "superuser":
            user = factories.user("root", is_superuser=True)
        else:
            user = factories.user(
                role, group={"editor": "Editors", "contributor": "Contributors"}[role]
            )
        client.force_login(user)
        return client

    return login


def a_copy(status, hidden=False):
    story = factories.story(f"A story, {status}", status=status)
    post = factories.post(story, url=f"https://twitter.com/a/status/{story.pk}")
    copy = files.new_copy(
        post,
        kind="image",
        data=jpeg_with_location(),
        media_type="image/jpeg",
        original_url="https://pic.twitter.com/x",
        captured_by="capture_posts",
        captured_at=timezone.now(),
    )
    LinkCheck.objects.create(
        post=post,
        role="post",
        url=post.url,
        status="gone",
        checked_at=timezone.now(),
        checked_by="check_links",
    )
    return copy


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_copy_page_answers_for_every_role(as_role, role, status):
    client = as_role(role)
    copy = a_copy(status)
    base = f"/admin/preservation/archivedcopy/{copy.pk}"
    for url in [
        "/admin/preservation/archivedcopy/",
        "/admin/preservation/archivedcopy/?q=twitter",
        f"{base}/change/",
        f"{base}/history/",
        "/admin/preservation/linkcheck/",
        f"/admin/preservation/linkcheck/{LinkCheck.objects.get().pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url
    may_add = role != "contributor"
    assert client.get("/admin/preservation/archivedcopy/add/").status_code == (
        200 if may_add else 403
    )
    assert client.get(f"{base}/delete/").status_code == 403
    assert client.get("/admin/preservation/linkcheck/add/").status_code == 403
    page = client.get(f"{base}/change/").content.decode()
    assert copy.sha256 in page  # shown, not editable
    assert 'name="sha256"' not in page
    assert ('name="hidden"' in page) is may_add


@pytest.mark.parametrize("status", STATUSES)
def test_an_editor_hides_a_copy_with_a_reason_and_history_can_undo_it(as_role, status):
    client = as_role("editor")
    copy = a_copy(status)
    base = f"/admin/preservation/archivedcopy/{copy.pk}"
    refused = client.post(f"{base}/change/", {"hidden": "on", "hidden_reason": ""})
    assert refused.status_code == 200
    assert "Say why the copy is hidden." in refused.content.decode()
    assert not ArchivedCopy.objects.get(pk=copy.pk).hidden
    done = client.post(f"{base}/change/", {"hidden": "on", "hidden_reason": "The author asked"})
    assert done.status_code == 302
    hidden = ArchivedCopy.objects.get(pk=copy.pk)
    assert (hidden.hidden, hidden.hidden_reason, hidden.sha256) == (
        True,
        "The author asked",
        copy.sha256,
    )
    history = client.get(f"{base}/history/").content.decode()
    assert "editor" in history
    for record in hidden.history.all():
        page = client.get(f"{base}/history/{record.history_id}/")
        assert page.status_code == 200, record.history_type
    first = hidden.history.earliest("history_date")
    reverted = client.post(f"{base}/history/{first.history_id}/", {})
    assert reverted.status_code == 302
    assert not ArchivedCopy.objects.get(pk=copy.pk).hidden


def test_a_contributor_cannot_hide_a_copy(as_role):
    client = as_role("contributor")
    copy = a_copy("draft")
    response = client.post(
        f"/admin/preservation/archivedcopy/{copy.pk}/change/",
        {"hidden": "on", "hidden_reason": "x"},
    )
    assert response.status_code == 403
    assert not ArchivedCopy.objects.get(pk=copy.pk).hidden


def upload(client, post, name, data, kind="image", content_type="image/jpeg"):
    return client.post(
        "/admin/preservation/archivedcopy/add/",
        {
            "post": post.pk,
            "kind": kind,
            "original_url": "https://pic.twitter.com/abc",
            "upload": SimpleUploadedFile(name, data, content_type=content_type),
        },
    )


def test_an_editor_uploads_a_picture_kept_whole_and_shown_without_location(as_role):
    client = as_role("editor")
    post = factories.post(factories.story("Balcony"), url="https://twitter.com/a/status/9")
    data = jpeg_with_location()
    response = upload(client, post, "balcony.jpg", data)
    assert response.status_code == 302
    copy = post.copies.get()
    assert (copy.kind, copy.media_type, copy.size, copy.captured_by) == (
        "image",
        "image/jpeg",
        len(data),
        "editor",
    )
    assert copy.sha256 == files.checksum(data)
    assert copy.public_file.name.startswith("public/")


def test_an_editor_uploads_a_video(as_role):
    client = as_role("editor")
    post = factories.post(factories.story("Balcony"), url="https://twitter.com/a/status/9")
    assert (
        upload(client, post, "clip.mp4", MP4, kind="video", content_type="video/mp4").status_code
        == 302
    )
    assert post.copies.get().media_type == "video/mp4"


@pytest.mark.parametrize(
    ("name", "data", "kind", "message"),
    [
        (
            "notes.jpg",
            b"<html>not a picture</html>",
            "image",
            "not a picture this archive can read",
        ),
        ("clip.mp4", b"not a video at all", "video", "This is not an MP4 or WebM video."),
        ("cut.jpg", jpeg_with_location()[:200], "image", "This file is"),
    ],
)
def test_a_bad_upload_is_refused_with_the_reason_and_nothing_kept(
    as_role, name, data, kind, message
):
    client = as_role("editor")
    post = factories.post(factories.story("Balcony"), url="https://twitter.com/a/status/9")
    response = upload(client, post, name, data, kind=kind)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ArchivedCopy.objects.exists()


def test_an_upload_past_the_size_limit_is_refused(as_role, monkeypatch):
    monkeypatch.setitem(preservation_admin.UPLOAD_LIMITS, "image", 1024 * 1024)
    client = as_role("editor")
    post = factories.post(factories.story("Balcony"), url="https://twitter.com/a/status/9")
    big = jpeg_with_location() + b"\0" * (1024 * 1024)
    response = upload(client, post, "big.jpg", big)
    assert "The file is 1.0 MB; a image may be at most 1 MB." in response.content.decode()
    assert not ArchivedCopy.objects.exists()


def test_a_post_with_copies_cannot_be_deleted(as_role):
    client = as_role("superuser")
    copy = a_copy("draft")
    response = client.post(f"/admin/stories/linkedpost/{copy.post_id}/delete/", {"post": "yes"})
    assert response.status_code == 200  # Django's "cannot delete: protected" page
    assert ArchivedCopy.objects.filter(pk=copy.pk).exists()
