"""Archived copies on the public site: the story page shows them, the site serves them, and
only what the public may see."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from preservation import files
from preservation.models import ArchivedCopy, LinkCheck
from stories.models import Story
from tests import factories
from tests.sites import MP4, jpeg_with_location

pytestmark = pytest.mark.django_db

CAPTURED = timezone.make_aware(datetime.datetime(2020, 3, 20, 9, 30))


def copy_of(post, kind, data, media_type, **fields):
    return files.new_copy(
        post,
        kind=kind,
        data=data,
        media_type=media_type,
        original_url=fields.pop("original_url", post.media_url or post.url),
        captured_by="capture_posts",
        captured_at=fields.pop("captured_at", CAPTURED),
    )


@pytest.fixture
def post():
    story = factories.story("Applause in Madrid", slug="applause")
    return factories.post(
        story,
        url="https://twitter.com/someone/status/1",
        media_url="https://pic.twitter.com/abc",
        handle="someone",
    )


def check(post, status, role=LinkCheck.Role.POST, at=CAPTURED):
    return LinkCheck.objects.create(
        post=post, role=role, url=post.url, status=status, checked_at=at, checked_by="check_links"
    )


def test_the_story_page_shows_the_picture_first_then_the_capture(client, post):
    warc = copy_of(post, "capture", b"WARC/1.1 ...", "application/warc", original_url=post.url)
    image = copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    page = client.get("/stories/applause/").content.decode()
    picture = page.index(f'src="/copies/{image.pk}/"')
    download = page.index(f'href="/copies/{warc.pk}/" download')
    assert picture < download
    assert 'Archived copy, captured <time datetime="2020-03-20">20 March 2020</time>.' in page
    assert "Download the capture of https://twitter.com/someone/status/1 (WARC," in page


def test_a_gone_original_is_said_plainly_with_the_copys_date(client, post):
    copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    check(post, "live", at=CAPTURED)
    check(post, "gone", at=CAPTURED + datetime.timedelta(days=400))
    page = client.get("/stories/applause/").content.decode()
    assert (
        "The original post is no longer online; this copy was captured on "
        '<time datetime="2020-03-20">20 March 2020</time>.'
    ) in page


def test_a_live_original_is_not_called_gone(client, post):
    check(post, "gone", at=CAPTURED)
    check(post, "live", at=CAPTURED + datetime.timedelta(days=1))  # back online
    assert "no longer online" not in client.get("/stories/applause/").content.decode()


def test_a_gone_original_without_a_copy_says_so(client, post):
    check(post, "withheld")
    page = client.get("/stories/applause/").content.decode()
    assert "The original post is no longer online, and the archive holds no copy of it." in page


def test_copies_and_checks_cost_one_query_however_many_posts(client, post):
    second = factories.post(post.story, url="https://twitter.com/other/status/2")
    for each in (post, second):
        copy_of(
            each, "capture", f"WARC {each.pk}".encode(), "application/warc", original_url=each.url
        )
        check(each, "gone")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/stories/applause/").content.decode()
    assert page.count("no longer online; this copy was captured") == 2
    reading = [q["sql"] for q in queries.captured_queries if "preservation_" in q["sql"]]
    assert len([sql for sql in reading if "preservation_archivedcopy" in sql]) == 1
    assert len([sql for sql in reading if "preservation_linkcheck" in sql]) == 1


def test_the_picture_is_served_without_its_location(client, post):
    image = copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    response = client.get(f"/copies/{image.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    body = b"".join(response.streaming_content)
    assert not Image.open(io.BytesIO(body)).getexif().get_ifd(0x8825)
    assert response["ETag"] == f'"{image.public_sha256}"'
    assert "public" in response["Cache-Control"]
    again = client.get(f"/copies/{image.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_video_plays_in_the_page_and_a_warc_is_a_download(client, post):
    video = copy_of(post, "video", MP4, "video/mp4")
    warc = copy_of(post, "capture", b"WARC/1.1 ...", "application/warc", original_url=post.url)
    assert client.get(f"/copies/{video.pk}/")["Content-Type"] == "video/mp4"
    response = client.get(f"/copies/{warc.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == (
        f'attachment; filename="post-{post.pk}-copy-{warc.pk}.warc.gz"'
    )
    assert b"".join(response.streaming_content) == b"WARC/1.1 ..."


def test_a_hidden_copy_is_gone_from_the_page_and_its_address(client, post):
    image = copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    ArchivedCopy.objects.filter(pk=image.pk).update(
        hidden=True, hidden_reason="Asked by the author"
    )
    page = client.get("/stories/applause/").content.decode()
    assert f"/copies/{image.pk}/" not in page
    missing = client.get("/copies/999999/")
    hidden = client.get(f"/copies/{image.pk}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


@pytest.mark.parametrize(
    "status", [Story.Status.DRAFT, Story.Status.IN_REVIEW, Story.Status.WITHDRAWN]
)
def test_a_copy_of_an_unpublished_story_is_not_served(client, post, status):
    image = copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    Story.objects.filter(pk=post.story_id).update(status=status)
    assert client.get(f"/copies/{image.pk}/").status_code == 404


def test_hiding_a_copy_changes_the_story_pages_etag(client, post):
    image = copy_of(post, "image", jpeg_with_location(), "image/jpeg")
    before = client.get("/stories/applause/")["ETag"]
    ArchivedCopy.objects.filter(pk=image.pk).update(hidden=True, hidden_reason="Takedown")
    assert client.get("/stories/applause/")["ETag"] != before


def test_the_copy_address_is_reversed_by_name(post):
    assert reverse("browse:copy", args=[7]) == "/copies/7/"


def test_a_drafts_copies_and_checks_leave_the_etag_alone(client):
    factories.story("Published", slug="published")
    draft = factories.story("Draft", status=Story.Status.DRAFT)
    post = factories.post(draft, url="https://twitter.com/d/status/5")
    before = client.get("/stories/published/")["ETag"]
    copy = copy_of(post, "capture", b"WARC draft", "application/warc", original_url=post.url)
    check(post, "gone")
    ArchivedCopy.objects.filter(pk=copy.pk).update(hidden=True, hidden_reason="Not needed")
    assert client.get("/stories/published/")["ETag"] == before


@pytest.mark.parametrize(
    ("header", "status", "content_range", "part"),
    [
        ("bytes=0-9", 206, "bytes 0-9/{size}", slice(0, 10)),
        ("bytes=10-", 206, "bytes 10-{last}/{size}", slice(10, None)),
        ("bytes=-16", 206, "bytes {tail}-{last}/{size}", slice(-16, None)),
        ("bytes=5-100000", 206, "bytes 5-{last}/{size}", slice(5, None)),
        ("bytes=0-1,5-6", 200, None, slice(None)),  # several ranges: the whole file
        ("items=0-1", 200, None, slice(None)),
        ("", 200, None, slice(None)),
    ],
)
def test_a_video_is_served_in_parts_so_browsers_can_seek(
    client, post, header, status, content_range, part
):
    video = copy_of(post, "video", MP4, "video/mp4")
    headers = {"Range": header} if header else {}
    response = client.get(f"/copies/{video.pk}/", headers=headers)
    assert response.status_code == status
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    body = b"".join(response.streaming_content)
    assert body == MP4[part]
    assert response["Content-Length"] == str(len(body))
    size, last = len(MP4), len(MP4) - 1
    expected = content_range and content_range.format(size=size, last=last, tail=size - 16)
    assert response.get("Content-Range") == expected


@pytest.mark.parametrize("header", ["bytes=100000-", "bytes=-0", "bytes=9-3"])
def test_a_range_beyond_the_file_is_416(client, post, header):
    video = copy_of(post, "video", MP4, "video/mp4")
    response = client.get(f"/copies/{video.pk}/", headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(MP4)}"
