"""A source article a story that has been published cites is never deleted: the archive is
the record, and its citations stay. The same rule as for the stories themselves (published,
withdrawn, or reopened as a draft after publication), through the model, the queryset and the
admin's delete page and "delete selected" action. Sources only drafts and stories in review
(never published) cite are deleted with their links, by an Editor as by a superuser."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stories import workflow
from stories.models import SourceArticle, Story
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db

Status = Story.Status
STATES = ["draft", "review", "published", "withdrawn", "reopened"]
# The workflow steps from a draft to each state.
STEPS = {
    "draft": [],
    "review": ["submit"],
    "published": ["publish"],
    "withdrawn": ["publish", "withdraw"],
    "reopened": ["publish", "withdraw", "reopen"],
}
# What the admin's list of protected objects says of the story citing the source; None
# where the story was never published and the source may go.
PROTECTED_AS = {
    "draft": None,
    "review": None,
    "published": "Published",
    "withdrawn": "Withdrawn",
    "reopened": "Draft, published before",
}
ROLES = ["superuser", "editor"]
CHANGELIST = "admin:stories_sourcearticle_changelist"


@pytest.fixture
def publisher(db):
    return User.objects.create_superuser("publisher")


def story_in(state, publisher, source, title=None):
    """A story citing `source`, taken through the workflow as far as `state`."""
    story = factories.story(title or f"The {state} story", status=Status.DRAFT, sources=[source])
    for step in STEPS[state]:
        report = workflow.apply(Story.objects.filter(pk=story.pk), step, publisher)
        assert report.moved, report.message
    story.refresh_from_db()
    assert story.is_kept_forever == (PROTECTED_AS[state] is not None)
    return story


def links(source, pk=None):
    """The link rows of `source` (or of the source that had `pk`, once deleted)."""
    return list(Story.sources.through.objects.filter(sourcearticle_id=pk or source.pk))


def client_for(role):
    user = (
        User.objects.create_superuser("superuser")
        if role == "superuser"
        else factories.user("editor", group="Editors")
    )
    client = Client()
    client.force_login(user)
    return client


def protected_item(story, status):
    change = reverse("admin:stories_story_change", args=[story.pk])
    return f'<li>Story: <a href="{change}">{story.title}</a> ({status})</li>'


# The model and the queryset ------------------------------------------------------------------


def delete_one(source):
    source.delete()


def delete_queryset(source):
    SourceArticle.objects.filter(pk=source.pk).delete()


@pytest.mark.parametrize("delete", [delete_one, delete_queryset], ids=["model", "queryset"])
@pytest.mark.parametrize("state", STATES)
def test_a_source_goes_only_if_no_story_ever_published_cites_it(state, delete, publisher):
    source = factories.source(title="Lockdown solidarity")
    story = story_in(state, publisher, source)
    if PROTECTED_AS[state] is None:
        pk = source.pk
        delete(source)
        assert not SourceArticle.objects.filter(pk=pk).exists()
        assert links(source, pk) == []
        assert list(Story.objects.get(pk=story.pk).sources.all()) == []
        return
    with pytest.raises(ProtectedError) as refused:
        delete(source)
    assert refused.value.args[0] == (
        f"A story that has been published keeps its sources forever: “The {state} story”."
    )
    assert refused.value.protected_objects == {story}
    assert SourceArticle.objects.filter(pk=source.pk).exists()
    assert list(story.sources.all()) == [source]


def test_a_source_no_story_cites_is_deleted():
    source = factories.source()
    pk = source.pk
    source.delete()
    assert not SourceArticle.objects.filter(pk=pk).exists()


def test_the_refusal_names_every_story_ever_published_and_no_draft(publisher):
    source = factories.source()
    published = story_in("published", publisher, source, title="Balconies of Florence")
    withdrawn = story_in("withdrawn", publisher, source, title="A DJ in Palermo")
    story_in("draft", publisher, source, title="A draft")
    with pytest.raises(ProtectedError) as refused:
        source.delete()
    assert refused.value.args[0] == (
        "Stories that have been published keep their sources forever: "
        "“A DJ in Palermo”, “Balconies of Florence”."
    )
    assert refused.value.protected_objects == {published, withdrawn}
    assert len(links(source)) == 3


def test_a_bulk_delete_with_one_kept_source_deletes_none(publisher):
    kept, free, uncited = factories.source(), factories.source(), factories.source()
    story_in("withdrawn", publisher, kept)
    story_in("draft", publisher, free)
    with pytest.raises(ProtectedError) as refused:
        SourceArticle.objects.all().delete()
    assert refused.value.args[0] == (
        "A story that has been published keeps its sources forever: “The withdrawn story”."
    )
    assert set(SourceArticle.objects.all()) == {kept, free, uncited}
    assert len(links(free)) == 1


def test_kept_forever_lists_the_sources_of_stories_ever_published(publisher):
    sources = {state: factories.source(slug=f"source-of-{state}") for state in STATES}
    for state, source in sources.items():
        story_in(state, publisher, source)
    factories.source(slug="uncited")
    kept = SourceArticle.objects.kept_forever().values_list("slug", flat=True)
    assert set(kept) == {"source-of-published", "source-of-withdrawn", "source-of-reopened"}


def test_an_editor_replaces_the_only_source_of_a_published_story(editor_client, publisher):
    # Why no database trigger guards the links: the form saves sources with set(), which
    # removes the old link before adding the new one. The replaced source may then go.
    old, new = factories.source(title="Old"), factories.source(title="New")
    story = story_in("published", publisher, old)
    change = reverse("admin:stories_story_change", args=[story.pk])
    response = editor_client.post(change, story_form(story, sources=[new.pk]))
    assert response.status_code == 302
    assert list(story.sources.all()) == [new]
    old.delete()
    with pytest.raises(ProtectedError):
        new.delete()


# The admin: the delete page -----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_delete_page(role, state, publisher):
    source = factories.source(title="Lockdown solidarity")
    story = story_in(state, publisher, source)
    url = reverse("admin:stories_sourcearticle_delete", args=[source.pk])
    response = client_for(role).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    status = PROTECTED_AS[state]
    if status is None:
        assert "Are you sure you want to delete the source article" in page
        assert 'name="post"' in page
        assert story.title not in page
        return
    assert "Cannot delete source article" in page
    assert "would require deleting the following protected related objects" in page
    assert protected_item(story, status) in page
    assert 'name="post"' not in page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_delete_page_post(role, state, publisher):
    source = factories.source(title="Lockdown solidarity")
    story = story_in(state, publisher, source)
    url = reverse("admin:stories_sourcearticle_delete", args=[source.pk])
    response = client_for(role).post(url, {"post": "yes"})
    if PROTECTED_AS[state] is None:
        assert response.status_code == 302
        assert response["Location"] == reverse(CHANGELIST)
        assert not SourceArticle.objects.filter(pk=source.pk).exists()
        assert links(source) == []
        assert Story.objects.filter(pk=story.pk).exists()
        return
    assert response.status_code == 200
    assert protected_item(story, PROTECTED_AS[state]) in response.content.decode()
    assert SourceArticle.objects.filter(pk=source.pk).exists()
    assert list(story.sources.all()) == [source]


def test_contributors_may_not_delete_sources(contributor_client):
    source = factories.source()
    url = reverse("admin:stories_sourcearticle_delete", args=[source.pk])
    assert contributor_client.get(url).status_code == 403
    assert contributor_client.post(url, {"post": "yes"}).status_code == 403
    assert SourceArticle.objects.filter(pk=source.pk).exists()


# The admin: "Delete selected source articles" ----------------------------------------------


def bulk_delete(client, sources, confirm):
    data = {"action": "delete_selected", "_selected_action": [s.pk for s in sources]}
    if confirm:
        data["post"] = "yes"
    return client.post(reverse(CHANGELIST), data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_delete_selected_confirmation(role, state, publisher):
    source = factories.source(title="Lockdown solidarity")
    story = story_in(state, publisher, source)
    response = bulk_delete(client_for(role), [source], confirm=False)
    assert response.status_code == 200
    page = response.content.decode()
    status = PROTECTED_AS[state]
    if status is None:
        assert "Are you sure you want to delete the selected source article?" in page
        assert 'name="post"' in page
        assert story.title not in page
        return
    assert "Cannot delete source article" in page
    assert "would require deleting the following protected related objects" in page
    assert protected_item(story, status) in page
    assert 'name="post"' not in page
    assert SourceArticle.objects.filter(pk=source.pk).exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_delete_selected(role, state, publisher):
    source = factories.source(title="Lockdown solidarity")
    story = story_in(state, publisher, source)
    response = bulk_delete(client_for(role), [source], confirm=True)
    if PROTECTED_AS[state] is None:
        assert response.status_code == 302
        assert response["Location"] == reverse(CHANGELIST)
        assert not SourceArticle.objects.filter(pk=source.pk).exists()
        assert links(source) == []
        assert Story.objects.filter(pk=story.pk).exists()
        return
    assert response.status_code == 200
    assert protected_item(story, PROTECTED_AS[state]) in response.content.decode()
    assert SourceArticle.objects.filter(pk=source.pk).exists()
    assert list(story.sources.all()) == [source]


@pytest.mark.parametrize("role", ROLES)
def test_delete_selected_with_one_kept_source_lists_it_and_deletes_none(role, publisher):
    kept, free = factories.source(title="Kept"), factories.source(title="Free")
    published = story_in("published", publisher, kept)
    draft = story_in("draft", publisher, free)
    client = client_for(role)
    page = bulk_delete(client, [kept, free], confirm=False).content.decode()
    assert "Cannot delete source articles" in page
    assert protected_item(published, "Published") in page
    assert draft.title not in page
    assert 'name="post"' not in page
    response = bulk_delete(client, [kept, free], confirm=True)
    assert response.status_code == 200
    assert set(SourceArticle.objects.all()) == {kept, free}
    assert len(links(free)) == 1


# At the same moment ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_source_deleted_while_its_story_is_being_published_is_kept():
    # The publication holds its story's row lock (as workflow.apply does) when the delete
    # starts: the delete waits for it, sees the story published, and refuses.
    source = factories.source()
    story = factories.story("Balconies", status=Status.DRAFT, sources=[source])
    locked, release = threading.Event(), threading.Event()
    outcome = {}

    def publish():
        try:
            with transaction.atomic():
                draft = Story.objects.select_for_update().get(pk=story.pk)
                draft.status, draft.published_at = Status.PUBLISHED, timezone.now()
                draft.save()
                locked.set()
                assert release.wait(20)
        finally:
            connection.close()

    def delete():
        try:
            SourceArticle.objects.filter(pk=source.pk).delete()
            outcome["deleted"] = True
        except ProtectedError as error:
            outcome["refused"] = error.args[0]
        finally:
            connection.close()

    publishing = threading.Thread(target=publish)
    publishing.start()
    assert locked.wait(20)
    deleting = threading.Thread(target=delete)
    deleting.start()
    # Wait until the delete has finished or waits for the publication's lock.
    with connection.cursor() as cursor:
        for _ in range(2000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] or not deleting.is_alive():
                break
            deleting.join(0.01)
    release.set()
    publishing.join(20)
    deleting.join(20)
    assert outcome == {
        "refused": "A story that has been published keeps its sources forever: “Balconies”."
    }
    assert list(Story.objects.get(pk=story.pk).sources.all()) == [source]
