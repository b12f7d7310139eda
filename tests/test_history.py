"""Every change is a version (who, when, what); any earlier version can be restored."""

import html
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone

from stories import workflow
from stories.models import City, LinkedPost, Performer, SourceArticle, Story
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db

Status = Story.Status


def history_url(story):
    return reverse("admin:stories_story_history", args=[story.pk])


def revert_url(story, version):
    return reverse("admin:stories_story_simple_history", args=[story.pk, version.history_id])


@pytest.fixture
def story(editor_client):
    """A draft created through the admin, then edited once: title and city changed."""
    florence, turin = factories.city("Florence"), factories.city("Turin")
    editor_client.post(
        reverse("admin:stories_story_add"),
        story_form(Story(title="Aria", slug="aria"), cities=[florence.pk]),
    )
    story = Story.objects.get(slug="aria")
    editor_client.post(
        reverse("admin:stories_story_change", args=[story.pk]),
        story_form(story, title="Aria in Turin", cities=[turin.pk]),
    )
    return Story.objects.get(slug="aria")


def test_an_admin_edit_creates_one_version_naming_the_editor(editor_client, editor):
    story = factories.story("Aria", status=Status.DRAFT)
    story.history.all().delete()  # count only what the admin records
    editor_client.post(
        reverse("admin:stories_story_change", args=[story.pk]),
        story_form(story, title="Aria, corrected"),
    )
    edits = story.history.exclude(history_change_reason="State before history was recorded")
    assert [(v.title, v.history_user) for v in edits] == [("Aria, corrected", editor)]


def test_the_version_keeps_places_as_they_were(story):
    versions = list(story.history.order_by("history_date", "history_id"))
    cities = [sorted(c.city.name for c in v.cities.all()) for v in versions]
    assert cities[-1] == ["Turin"]
    assert ["Florence"] in cities


def test_history_page_lists_the_changed_fields(editor_client, story):
    response = editor_client.get(history_url(story))
    assert response.status_code == 200
    assert "Aria" in response.text and "Aria in Turin" in response.text
    assert "<strong>Title:</strong>" in response.text


def test_restoring_a_version_brings_back_its_values_and_places(editor_client, story):
    old = story.history.filter(title="Aria").order_by("history_date").last()
    form_page = editor_client.get(revert_url(story, old))
    assert form_page.status_code == 200
    florence = City.objects.get(slug="florence")
    editor_client.post(
        revert_url(story, old), story_form(old.instance, cities=[florence.pk], _save="Revert")
    )
    story.refresh_from_db()
    assert story.title == "Aria"
    assert [c.name for c in story.cities.all()] == ["Florence"]


def test_restore_form_shows_the_old_versions_places(editor_client, story):
    old = story.history.filter(title="Aria").order_by("history_date").last()
    form = editor_client.get(revert_url(story, old)).context["adminform"].form
    florence = City.objects.get(slug="florence")
    assert form.initial["cities"] == [florence.pk]


def test_restoring_an_old_version_keeps_the_current_status(editor_client, editor, story):
    story.sources.add(factories.source())
    old = story.history.filter(title="Aria").order_by("history_date").last()
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    editor_client.post(revert_url(story, old), story_form(old.instance, _save="Revert"))
    story.refresh_from_db()
    assert (story.title, story.status) == ("Aria", Status.PUBLISHED)


def test_contributor_cannot_restore_a_version_of_a_published_story(client, editor, story):
    story.sources.add(factories.source())
    old = story.history.filter(title="Aria").order_by("history_date").last()
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    client.force_login(factories.user("contributor", group="Contributors"))
    response = client.post(revert_url(story, old), story_form(old.instance, _save="Revert"))
    assert response.status_code == 403
    assert Story.objects.get(pk=story.pk).title == "Aria in Turin"


def test_bulk_actions_record_history(editor_client, editor):
    story = factories.story("Aria", status=Status.DRAFT, sources=[factories.source()])
    editor_client.post(
        reverse("admin:stories_story_changelist"),
        {"action": "publish", "_selected_action": [story.pk]},
    )
    latest = story.history.latest()
    assert (latest.status, latest.history_user) == (Status.PUBLISHED, editor)


@pytest.mark.parametrize(
    ("model", "build"),
    [
        (City, lambda: factories.city("Florence")),
        (Performer, lambda: factories.performer("Maurizio Marchini")),
        (SourceArticle, lambda: factories.source()),
        (LinkedPost, lambda: factories.post(factories.story())),
    ],
)
def test_changes_to_places_performers_sources_and_posts_are_recorded(model, build):
    obj = build()
    obj.save()
    assert [v.history_type for v in model.history.filter(id=obj.pk)] == ["~", "+"]


def test_a_seeded_story_keeps_its_state_before_the_first_edit(editor_client):
    call_command("loaddata", "seed", verbosity=0)
    story = Story.objects.get(slug="madrid-granada-applause")
    editor_client.post(
        reverse("admin:stories_story_change", args=[story.pk]),
        story_form(story, title="Applause, corrected"),
    )
    before = story.history.exclude(title="Applause, corrected").latest()
    assert before.title == story.title
    assert sorted(c.city.slug for c in before.cities.all()) == ["granada", "madrid"]


def test_a_seeded_city_keeps_its_state_before_the_first_edit(editor_client):
    call_command("loaddata", "seed", verbosity=0)
    city = City.objects.get(slug="florence")
    assert not City.history.filter(id=city.pk).exists()
    editor_client.post(
        reverse("admin:stories_city_change", args=[city.pk]),
        {"name": "Firenze", "slug": "florence", "country": city.country_id},
    )
    assert [v.name for v in City.history.filter(id=city.pk)] == ["Firenze", "Florence"]


def test_contributor_cannot_restore_a_city(client):
    city = factories.city("Florence")
    city.name = "Firenze"
    city.save()
    old = City.history.filter(id=city.pk, name="Florence").get()
    client.force_login(factories.user("contributor", group="Contributors"))
    url = reverse("admin:stories_city_simple_history", args=[city.pk, old.history_id])
    response = client.post(
        url, {"name": "Florence", "slug": "florence", "country": city.country_id}
    )
    assert response.status_code == 403
    assert City.objects.get(pk=city.pk).name == "Firenze"


def test_contributor_cannot_restore_a_post_of_a_published_story(client):
    post = factories.post(factories.story("Public"), handle="first")
    post.handle = "second"
    post.save()
    old = LinkedPost.history.filter(id=post.pk, handle="first").get()
    client.force_login(factories.user("contributor", group="Contributors"))
    url = reverse("admin:stories_linkedpost_simple_history", args=[post.pk, old.history_id])
    response = client.post(url, {"story": post.story_id, "position": 1, "handle": "first"})
    assert response.status_code == 403
    assert LinkedPost.objects.get(pk=post.pk).handle == "second"


def test_editing_a_post_inline_keeps_its_earlier_state(editor_client):
    story = factories.story("Aria", status=Story.Status.DRAFT)
    post = factories.post(story, handle="first")
    LinkedPost.history.all().delete()  # as if loaded without history
    data = story_form(
        story,
        **{
            "posts-TOTAL_FORMS": "1",
            "posts-INITIAL_FORMS": "1",
            "posts-0-id": post.pk,
            "posts-0-story": story.pk,
            "posts-0-position": "1",
            "posts-0-handle": "second",
        },
    )
    editor_client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert [v.handle for v in LinkedPost.history.filter(id=post.pk)] == ["second", "first"]


@pytest.fixture
def deleted_draft(editor_client):
    """A draft with a city and a post, deleted through the admin."""
    story = factories.story(
        "Mistake", status=Status.DRAFT, slug="mistake", cities=[factories.city("Turin")]
    )
    factories.post(story, handle="dschmudde", url="https://twitter.com/dschmudde/status/1")
    editor_client.post(reverse("admin:stories_story_delete", args=[story.pk]), {"post": "yes"})
    assert not Story.objects.filter(pk=story.pk).exists()
    return story


def test_deleted_drafts_are_listed_with_a_link_to_restore_them(editor_client, deleted_draft):
    response = editor_client.get(reverse("admin:stories_story_deleted"))
    assert "Mistake" in response.text
    assert "Review and restore" in response.text


def test_restoring_a_deleted_draft_brings_back_its_places_and_posts(editor_client, deleted_draft):
    (deletion,) = editor_client.get(reverse("admin:stories_story_deleted")).context["deleted"]
    version = Story.history.get(history_id=deletion.restore_id)
    assert editor_client.get(revert_url(deleted_draft, version)).status_code == 200
    turin = City.objects.get(slug="turin")
    editor_client.post(
        revert_url(deleted_draft, version),
        story_form(version.instance, cities=[turin.pk], _save="Revert"),
    )
    story = Story.objects.get(pk=deleted_draft.pk)
    assert (story.title, story.status) == ("Mistake", Status.DRAFT)
    assert [c.slug for c in story.cities.all()] == ["turin"]
    assert [p.handle for p in story.posts.all()] == ["dschmudde"]


def test_a_restore_is_named_in_the_history(editor_client, story):
    old = story.history.filter(title="Aria").order_by("history_date").last()
    editor_client.post(revert_url(story, old), story_form(old.instance, _save="Revert"))
    reason = story.history.latest().history_change_reason
    assert reason.startswith("Restored the version of ")


def test_a_restore_records_one_version_with_the_restored_places(editor_client, story):
    old = story.history.filter(title="Aria").order_by("history_date").last()
    before = story.history.count()
    florence = City.objects.get(slug="florence")
    editor_client.post(
        revert_url(story, old), story_form(old.instance, cities=[florence.pk], _save="Revert")
    )
    assert story.history.count() == before + 1
    assert [c.city.slug for c in story.history.latest().cities.all()] == ["florence"]


def test_deleting_a_post_inline_keeps_its_earlier_state(editor_client):
    story = factories.story("Aria", status=Story.Status.DRAFT)
    post = factories.post(story, handle="first")
    LinkedPost.history.all().delete()  # as if loaded without history
    data = story_form(
        story,
        **{
            "posts-TOTAL_FORMS": "1",
            "posts-INITIAL_FORMS": "1",
            "posts-0-id": post.pk,
            "posts-0-story": story.pk,
            "posts-0-position": "1",
            "posts-0-handle": "first",
            "posts-0-DELETE": "on",
        },
    )
    editor_client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert not LinkedPost.objects.filter(pk=post.pk).exists()
    history = LinkedPost.history.filter(id=post.pk)
    assert [(v.history_type, v.handle) for v in history] == [("-", "first"), ("~", "first")]


@pytest.mark.parametrize("status", list(Status))
def test_every_version_page_of_a_story_answers_in_each_status(editor_client, story, status):
    """The history list and each version's page (the restore form) open whatever the
    story's status: the slug is read-only once published, and the version page must not
    try to prepopulate it (it answered 500 for every story ever published)."""
    published_at = None if status in (Status.DRAFT, Status.IN_REVIEW) else story.created_at
    if status == Status.DRAFT:
        # A reopened draft was published once: its slug is read-only too.
        published_at = story.created_at
    Story.objects.filter(pk=story.pk).update(status=status, published_at=published_at)
    story.refresh_from_db()
    history = editor_client.get(history_url(story))
    assert history.status_code == 200
    versions = list(story.history.all())
    assert len(versions) >= 2
    for version in versions:
        response = editor_client.get(revert_url(story, version))
        assert response.status_code == 200, (status, version.history_id)
        assert version.title in response.content.decode()


def test_a_drafts_slug_follows_its_title_on_the_change_form_not_on_a_version_page(
    editor_client, story
):
    version = story.history.earliest()
    response = editor_client.get(revert_url(story, version))
    assert response.status_code == 200
    assert response.context["adminform"].prepopulated_fields == []
    change = editor_client.get(reverse("admin:stories_story_change", args=[story.pk]))
    assert [field["field"].name for field in change.context["adminform"].prepopulated_fields] == [
        "slug"
    ]


def test_a_story_created_in_the_admin_is_listed_as_created(editor_client, editor):
    editor_client.post(
        reverse("admin:stories_story_add"), story_form(Story(title="New", slug="new"))
    )
    story = Story.objects.get(slug="new")
    (version,) = story.history.all()
    assert (version.history_type, version.history_user) == ("+", editor)
    assert "<td>Created</td>" in editor_client.get(history_url(story)).text


def test_saving_a_story_without_a_change_records_no_version(editor_client):
    story = factories.story("Aria", status=Status.DRAFT)
    change = reverse("admin:stories_story_change", args=[story.pk])
    editor_client.post(change, story_form(story, title="Aria, corrected"))
    before = story.history.count()
    response = editor_client.post(change, story_form(Story.objects.get(pk=story.pk)))
    assert response.status_code == 302
    assert story.history.count() == before


def test_a_workflow_button_records_one_version_the_move(editor_client, editor):
    story = factories.story("Aria", status=Status.DRAFT, sources=[factories.source()])
    change = reverse("admin:stories_story_change", args=[story.pk])
    editor_client.post(change, story_form(story, title="Aria, corrected"))
    before = story.history.count()
    editor_client.post(change, story_form(Story.objects.get(pk=story.pk), _transition="publish"))
    assert story.history.count() == before + 1
    latest = story.history.latest()
    assert (latest.status, latest.history_change_reason, latest.history_user) == (
        Status.PUBLISHED,
        "Published",
        editor,
    )


def test_the_history_list_never_shows_none_for_a_missing_reason_or_user(editor_client):
    city = factories.city("Florence")  # recorded with no user and no reason
    city.name = "Firenze"
    city.save()
    page = editor_client.get(reverse("admin:stories_city_history", args=[city.pk])).text
    cells = re.findall(r"<td>\s*(.*?)\s*</td>", page, re.DOTALL)
    assert "None" not in cells
    assert "" in cells


def test_the_history_list_links_no_user_account_page(editor_client, editor, story):
    page = editor_client.get(history_url(story)).text
    assert reverse("admin:auth_user_change", args=[editor.pk]) not in page
    assert "<td>editor</td>" in page


def test_a_published_storys_version_page_says_the_status_and_address_stay(
    editor_client, editor, story
):
    story.sources.add(factories.source())
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    old = story.history.earliest()
    page = editor_client.get(revert_url(story, old)).text
    assert "The story stays “Published” and keeps its address, aria" in page


def test_a_drafts_version_page_says_its_status_stays(editor_client, story):
    page = editor_client.get(revert_url(story, story.history.earliest())).text
    assert "Reverting restores this version’s title, address, text" in page
    assert "The story stays “Draft”" in page


def test_a_contributor_reading_a_published_version_is_offered_no_revert(client, editor, story):
    story.sources.add(factories.source())
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    client.force_login(factories.user("contributor", group="Contributors"))
    page = client.get(revert_url(story, story.history.earliest())).text
    assert 'name="_save"' not in page
    assert "Reverting restores" not in page


def published_with_a_late_source(editor_client, editor):
    """A published story whose first version had no source article."""
    editor_client.post(
        reverse("admin:stories_story_add"), story_form(Story(title="Aria", slug="aria"))
    )
    story = Story.objects.get(slug="aria")
    first = story.history.get()
    story.sources.add(factories.source())
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    return story, first


def test_reverting_a_published_story_to_a_version_without_source_is_refused(editor_client, editor):
    story, first = published_with_a_late_source(editor_client, editor)
    response = editor_client.post(
        revert_url(story, first), story_form(first.instance, sources=[], _save="Revert")
    )
    assert response.status_code == 200
    assert "A published story needs at least one source article" in response.text
    assert story.sources.count() == 1


def test_the_last_source_of_a_published_story_cannot_be_removed(editor_client, editor):
    story, _first = published_with_a_late_source(editor_client, editor)
    response = editor_client.post(
        reverse("admin:stories_story_change", args=[story.pk]), story_form(story, sources=[])
    )
    assert response.status_code == 200
    assert "Withdraw it first to remove the last one" in response.text
    assert story.sources.count() == 1


def test_the_history_list_names_changes_as_the_admin_shows_fields(editor_client, editor, story):
    story.sources.add(factories.source())
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    published_at = Story.objects.get(pk=story.pk).published_at
    page = editor_client.get(history_url(story)).text
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Status: Draft → Published" in words
    assert f"Published at: — → {formats.localize(timezone.localtime(published_at))}" in words
    assert "None" not in words


def test_a_revert_shows_the_story_as_it_now_is(editor_client, story):
    old = story.history.filter(title="Aria").order_by("history_date").last()
    response = editor_client.post(
        revert_url(story, old), story_form(old.instance, _save="Revert"), follow=True
    )
    change = reverse("admin:stories_story_change", args=[story.pk])
    assert response.redirect_chain == [(change, 302)]
    assert f'“<a href="{change}">Aria</a>” is back to the version you chose.' in response.text
