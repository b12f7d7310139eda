"""An editor hides a single post of a published story (a takedown request): the post stays in
the archive, with its history and reason, and leaves every public surface; shown again, it
comes back. test_leaks.py crawls every surface for a hidden post's words; these tests follow
the editor's steps and what a visitor relies on."""

import datetime

import pytest
from django.utils import timezone

from preservation import files
from preservation.models import ArchivedCopy
from stories import facts
from stories.models import LinkedPost
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    story = factories.story("Applause in Madrid", slug="applause", day=datetime.date(2020, 3, 14))
    factories.post(
        story,
        url="https://twitter.com/neighbour/status/1",
        handle="neighbour",
        text="Applause for the nurses from calle Mayor",
    )
    factories.post(
        story,
        url="https://www.tiktok.com/@filmed/video/2",
        handle="filmedperson",
        author_name="Carmen Filmed",
        text="Zarzuela sung on the balcony",
    )
    return story


@pytest.fixture
def second(story):
    return story.posts.get(position=2)


def hide(post, reason="Takedown request from the person filmed"):
    post.hidden, post.hidden_reason = True, reason
    post.save()


def inline_form(story, **changes):
    """The story's change form with its two posts inline, as the admin posts it."""
    data = story_form(story, **{"posts-TOTAL_FORMS": "2", "posts-INITIAL_FORMS": "2"})
    for i, post in enumerate(story.posts.order_by("position")):
        for name in ("position", "url", "platform", "author_name", "handle", "text", "media_url"):
            data[f"posts-{i}-{name}"] = getattr(post, name)
        data.update(
            {
                f"posts-{i}-id": post.pk,
                f"posts-{i}-story": story.pk,
                f"posts-{i}-posted_on": "",
                f"posts-{i}-reach": "",
                f"posts-{i}-reach_count": "",
                f"posts-{i}-hidden_reason": post.hidden_reason,
            }
        )
        if post.hidden:
            data[f"posts-{i}-hidden"] = "on"
    data.update(changes)
    return data


@pytest.fixture
def editor(client):
    client.force_login(factories.user("editor", group="Editors"))
    return client


def test_an_editor_hides_a_post_from_the_story_form_and_must_say_why(editor, story, second):
    url = f"/admin/stories/story/{story.pk}/change/"
    refused = editor.post(url, inline_form(story, **{"posts-1-hidden": "on"}))
    assert refused.status_code == 200
    assert "Say why the post is hidden" in refused.content.decode()
    second.refresh_from_db()
    assert not second.hidden
    reason = "Takedown request of 2 May: the person filmed asked"
    saved = editor.post(
        url, inline_form(story, **{"posts-1-hidden": "on", "posts-1-hidden_reason": reason})
    )
    assert saved.status_code == 302
    second.refresh_from_db()
    assert (second.hidden, second.hidden_reason) == (True, reason)
    # The history keeps who hid it, and the post is still in the archive for editors.
    record = second.history.first()
    assert (record.hidden, record.history_user.username) == (True, "editor")
    history = editor.get(f"/admin/stories/linkedpost/{second.pk}/history/")
    assert history.status_code == 200
    listed = editor.get("/admin/stories/linkedpost/?hidden__exact=1")
    assert "filmedperson" in listed.content.decode()


def test_the_story_page_no_longer_shows_a_hidden_post(client, story, second):
    before = client.get("/stories/applause/")
    assert "Zarzuela sung on the balcony" in before.content.decode()
    hide(second)
    after = client.get("/stories/applause/")
    page = after.content.decode()
    assert "Zarzuela" not in page and "filmedperson" not in page and "tiktok" not in page
    assert "Applause for the nurses" in page
    assert after["ETag"] != before["ETag"]


def test_a_hidden_posts_words_find_nothing_and_its_story_is_still_found(client, story, second):
    def found(words):
        return "Applause in Madrid" in client.get("/stories/", {"q": words}).content.decode()

    assert found("zarzuela") and found("filmedperson")
    hide(second)
    assert not found("zarzuela") and not found("filmedperson")
    assert found("nurses")
    second.hidden = False
    second.save()
    assert found("zarzuela")


def test_a_hidden_post_leaves_the_counts_and_the_platform_filter(client, story, second):
    def on_tiktok():
        return client.get("/stories/", {"platform": "tiktok"}).content.decode()

    assert "Applause in Madrid" in on_tiktok()
    hide(second)
    facts.bring_up_to_date()
    assert "Applause in Madrid" not in on_tiktok()
    assert facts.summary("posts")["posts"][1] == 1  # (the home page's "1 archived post")
    assert (facts.total("platform", "tiktok"), facts.total("platform", "twitter")) == (0, 1)


def test_a_hidden_posts_copies_are_not_served(client, story, second):
    copy = files.new_copy(
        second,
        kind="capture",
        data=b"WARC of the zarzuela",
        media_type="application/warc",
        original_url=second.url,
        captured_by="capture_posts",
        captured_at=timezone.now(),
    )
    assert client.get(f"/copies/{copy.pk}/").status_code == 200
    hide(second)
    assert client.get(f"/copies/{copy.pk}/").status_code == 404
    assert ArchivedCopy.objects.visible().count() == 0
    assert ArchivedCopy.objects.count() == 1  # (kept, for editors)


def test_the_correction_form_does_not_offer_a_hidden_post(client, story, second):
    hide(second)
    form = client.get("/stories/applause/correction/").content.decode()
    assert "@filmedperson" not in form and "Post by @neighbour" in form


def test_the_api_and_the_downloads_leave_a_hidden_post_out(client, story, second):
    hide(second)
    api = client.get("/api/stories/applause/").json()
    assert [post["url"] for post in api["posts"]] == ["https://twitter.com/neighbour/status/1"]
    csv = b"".join(client.get("/stories/export.csv").streaming_content).decode()
    assert "tiktok.com" not in csv and "twitter.com/neighbour" in csv


def test_visible_posts_are_those_of_published_stories_not_hidden(story, second):
    hide(second)
    assert list(LinkedPost.objects.visible()) == [story.posts.get(position=1)]


@pytest.mark.parametrize(
    "role", [{"group": "Editors"}, {"group": "Contributors"}, {"is_superuser": True}], ids=str
)
def test_every_admin_page_of_a_hidden_post_answers_in_every_role(client, role, story, second):
    """What editors click: the lists, the forms, the histories and each version, with the
    post hidden (and the story's pages, where the post is inline)."""
    hide(second)
    client.force_login(factories.user("someone", **role))
    post_pages = [
        "/admin/stories/linkedpost/",
        "/admin/stories/linkedpost/?hidden__exact=1",
        f"/admin/stories/linkedpost/{second.pk}/change/",
        f"/admin/stories/linkedpost/{second.pk}/history/",
        *(
            f"/admin/stories/linkedpost/{second.pk}/history/{record.history_id}/"
            for record in second.history.all()
        ),
        f"/admin/stories/story/{story.pk}/change/",
        f"/admin/stories/story/{story.pk}/history/",
    ]
    for url in post_pages:
        response = client.get(url)
        assert response.status_code == 200, url
    change = client.get(f"/admin/stories/linkedpost/{second.pk}/change/").content.decode()
    assert "Takedown request from the person filmed" in change
