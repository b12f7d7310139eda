"""Who may do what in the admin, through the test client: every path checked on the server."""

import datetime

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from stories.models import City, LinkedPost, Story
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db

Status = Story.Status
CHANGELIST = "admin:stories_story_changelist"


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def draft(title="A draft", **fields):
    return factories.story(title, status=Status.DRAFT, sources=[factories.source()], **fields)


# Contributors ------------------------------------------------------------------------------


def test_contributor_can_add_a_draft_story(contributor_client):
    response = contributor_client.post(
        reverse("admin:stories_story_add"),
        story_form(Story(title="Balcony choir", slug="balcony-choir", kind="music")),
    )
    assert response.status_code == 302
    assert Story.objects.get(slug="balcony-choir").status == Status.DRAFT


def test_contributor_can_submit_a_draft_for_review(contributor_client):
    story = draft()
    response = contributor_client.post(
        change_url(story), story_form(story, _transition="submit"), follow=True
    )
    assert "1 story submitted for review" in response.text
    assert Story.objects.get(pk=story.pk).status == Status.IN_REVIEW


def test_contributor_is_offered_no_publish_button(contributor_client):
    response = contributor_client.get(change_url(draft()))
    assert 'value="submit"' in response.text
    assert 'value="publish"' not in response.text


def test_contributor_posting_publish_directly_is_forbidden(contributor_client):
    story = draft()
    response = contributor_client.post(
        change_url(story), story_form(story, title="Changed", _transition="publish")
    )
    assert response.status_code == 403
    story.refresh_from_db()
    assert (story.status, story.title) == (Status.DRAFT, "A draft")


def test_contributor_posting_the_publish_bulk_action_changes_nothing(contributor_client):
    story = draft()
    contributor_client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": [story.pk]}
    )
    assert Story.objects.get(pk=story.pk).status == Status.DRAFT


def test_contributor_cannot_set_the_status_through_the_form(contributor_client):
    story = draft()
    contributor_client.post(change_url(story), story_form(story, status="published"))
    assert Story.objects.get(pk=story.pk).status == Status.DRAFT


def test_contributor_cannot_edit_a_published_story(contributor_client):
    story = factories.story("Public", sources=[factories.source()])
    response = contributor_client.post(change_url(story), story_form(story, title="Vandalised"))
    assert response.status_code == 403
    assert Story.objects.get(pk=story.pk).title == "Public"


def test_contributor_can_view_a_published_story(contributor_client):
    story = factories.story("Public")
    assert contributor_client.get(change_url(story)).status_code == 200


def test_contributor_cannot_withdraw_a_published_story(contributor_client):
    story = factories.story("Public")
    contributor_client.post(
        reverse(CHANGELIST), {"action": "withdraw", "_selected_action": [story.pk]}
    )
    assert Story.objects.get(pk=story.pk).status == Status.PUBLISHED


def test_contributor_can_add_a_post_to_a_draft(contributor_client):
    story = draft()
    data = story_form(
        story,
        **{
            "posts-TOTAL_FORMS": "1",
            "posts-0-position": "1",
            "posts-0-url": "https://twitter.com/someone/status/1",
            "posts-0-handle": "@someone",
        },
    )
    response = contributor_client.post(change_url(story), data)
    assert response.status_code == 302
    assert story.posts.get().handle == "someone"


def test_contributor_cannot_change_a_post_of_a_published_story(contributor_client):
    post = factories.post(factories.story("Public"), handle="original")
    url = reverse("admin:stories_linkedpost_change", args=[post.pk])
    response = contributor_client.post(url, {"story": post.story_id, "position": 1, "handle": "x"})
    assert response.status_code == 403
    assert LinkedPost.objects.get(pk=post.pk).handle == "original"


def test_contributor_cannot_change_a_city(contributor_client):
    city = factories.city("Florence")
    url = reverse("admin:stories_city_change", args=[city.pk])
    response = contributor_client.post(url, {"name": "Firenze", "slug": "florence"})
    assert response.status_code == 403
    assert City.objects.get(pk=city.pk).name == "Florence"


def test_contributor_can_use_the_city_autocomplete(contributor_client):
    factories.city("Florence")
    response = contributor_client.get(
        reverse("admin:autocomplete"),
        {"term": "flo", "app_label": "stories", "model_name": "story", "field_name": "cities"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Florence"]


# Editors ---------------------------------------------------------------------------------


def test_editor_publishes_from_the_change_form(editor_client):
    story = draft()
    response = editor_client.post(
        change_url(story), story_form(story, _transition="publish"), follow=True
    )
    assert "1 story published" in response.text
    assert Story.objects.get(pk=story.pk).status == Status.PUBLISHED


def test_publish_button_explains_a_story_without_source(editor_client):
    story = factories.story("Unsourced", status=Status.DRAFT)
    response = editor_client.post(
        change_url(story), story_form(story, _transition="publish"), follow=True
    )
    assert "No story published; 1 skipped: no source article" in response.text
    assert Story.objects.get(pk=story.pk).status == Status.DRAFT


def test_editor_bulk_publish_reports_what_it_did(editor_client):
    stories = [draft(f"Draft {n}") for n in range(3)]
    stories.append(factories.story("Unsourced", status=Status.DRAFT))
    response = editor_client.post(
        reverse(CHANGELIST),
        {"action": "publish", "_selected_action": [s.pk for s in stories]},
        follow=True,
    )
    assert "3 stories published; 1 skipped: no source article" in response.text


def test_editor_can_edit_a_published_story(editor_client):
    story = factories.story("Public")
    response = editor_client.post(change_url(story), story_form(story, title="Corrected"))
    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).title == "Corrected"


def test_slug_of_a_published_story_cannot_be_changed(editor_client):
    story = factories.story("Public", slug="public")
    editor_client.post(change_url(story), story_form(story, slug="moved"))
    assert Story.objects.get(pk=story.pk).slug == "public"


def test_editor_can_change_a_city(editor_client):
    city = factories.city("Florence")
    url = reverse("admin:stories_city_change", args=[city.pk])
    response = editor_client.post(
        url, {"name": "Firenze", "slug": "florence", "country": city.country_id}
    )
    assert response.status_code == 302
    assert City.objects.get(pk=city.pk).name == "Firenze"


# Deleting --------------------------------------------------------------------------------


def test_editor_can_delete_a_draft(editor_client):
    story = draft()
    url = reverse("admin:stories_story_delete", args=[story.pk])
    editor_client.post(url, {"post": "yes"})
    assert not Story.objects.filter(pk=story.pk).exists()


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.WITHDRAWN])
def test_delete_view_refuses_a_published_or_withdrawn_story(admin_client, status):
    story = factories.story("Kept", status=status)
    url = reverse("admin:stories_story_delete", args=[story.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Story.objects.filter(pk=story.pk).exists()


def test_bulk_delete_deletes_drafts_and_skips_published_stories(admin_client):
    kept = factories.story("Kept")
    doomed = draft("Doomed")
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [kept.pk, doomed.pk], "post": "yes"},
        follow=True,
    )
    assert "1 skipped: a story that has been published is never deleted" in response.text
    assert list(Story.objects.all()) == [kept]


def test_bulk_delete_of_only_published_stories_deletes_nothing(admin_client):
    kept = factories.story("Kept")
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
    )
    assert Story.objects.filter(pk=kept.pk).exists()


def test_reopened_story_that_was_published_still_cannot_be_deleted(admin_client):
    story = factories.story("Was public", status=Status.WITHDRAWN)
    Story.objects.filter(pk=story.pk).update(status=Status.DRAFT)
    url = reverse("admin:stories_story_delete", args=[story.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Story.objects.filter(pk=story.pk).exists()


def test_contributor_cannot_attach_a_new_post_to_a_published_story(contributor_client):
    story = factories.story("Public")
    response = contributor_client.post(
        reverse("admin:stories_linkedpost_add"),
        {"story": story.pk, "position": 1, "url": "https://twitter.com/a/1"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not story.posts.exists()


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.WITHDRAWN])
def test_deleting_a_published_or_withdrawn_story_in_code_is_refused(status):
    story = factories.story("Kept", status=status)
    with pytest.raises(ProtectedError):
        story.delete()
    with pytest.raises(ProtectedError):
        Story.objects.filter(pk=story.pk).delete()
    assert Story.objects.filter(pk=story.pk).exists()


def test_deleting_drafts_in_code_is_allowed():
    draft("Scrap")
    Story.objects.all().delete()
    assert not Story.objects.exists()


@pytest.mark.parametrize(
    "term", ["16 March 2020", "16 mar 2020", "March 2020", "2020-03-16", "16/03/2020"]
)
def test_a_source_is_found_by_its_date_as_the_admin_shows_it(contributor_client, term):
    """Issue 14: the seed's article was found by "article" or "2020", not "16 March 2020"."""
    factories.source(slug="the-article", published_on=datetime.date(2020, 3, 16))
    factories.source(slug="another", published_on=datetime.date(2021, 3, 16))
    response = contributor_client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "stories", "model_name": "story", "field_name": "sources"},
    )
    found = [r["text"] for r in response.json()["results"]]
    assert found == ["A news article of 16 March 2020"]


def test_the_story_form_says_a_source_is_needed_to_publish(editor_client):
    page = editor_client.get(reverse("admin:stories_story_add")).content.decode()
    assert "Needed to publish: a story is published only with at least one source" in page
