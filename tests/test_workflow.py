import datetime

import pytest
from django.core.exceptions import PermissionDenied

from stories import workflow
from stories.models import Story
from tests import factories

pytestmark = pytest.mark.django_db

Status = Story.Status


def draft(title="A draft", with_source=True, **fields):
    sources = [factories.source()] if with_source else []
    return factories.story(title, status=Status.DRAFT, sources=sources, **fields)


def test_first_publication_sets_published_at(editor):
    story = draft()
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    assert story.published_at is not None


def test_republishing_after_withdrawal_keeps_the_first_publication_time(editor):
    story = draft()
    stories = Story.objects.filter(pk=story.pk)
    workflow.apply(stories, "publish", editor)
    first = Story.objects.get(pk=story.pk).published_at
    for name in ("withdraw", "reopen", "publish"):
        workflow.apply(stories, name, editor)
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    assert story.published_at == first


def test_bulk_publish_reports_published_and_skipped_stories(editor):
    for n in range(3):
        draft(f"Draft {n}")
    draft("No source", with_source=False)
    report = workflow.apply(Story.objects.all(), "publish", editor)
    assert report.message == "3 stories published; 1 skipped: no source article"
    assert Story.objects.get(title="No source").status == Status.DRAFT


def test_story_without_date_or_place_can_be_published(editor):
    story = draft("The rooftop trainer")
    assert story.start_date is None and not story.cities.exists()
    report = workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    assert report.message == "1 story published"


def test_a_blank_title_blocks_publication(editor):
    story = draft("   ")
    report = workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    assert report.message == "No story published; 1 skipped: no title"


def test_withdrawing_skips_stories_that_are_not_published(editor):
    factories.story("Public")
    draft("Private")
    report = workflow.apply(Story.objects.all(), "withdraw", editor)
    assert report.message == "1 story withdrawn; 1 skipped: is draft"


def test_withdrawn_story_can_only_go_back_to_draft(editor):
    story = factories.story("Gone", status=Status.WITHDRAWN)
    report = workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    assert report.message == "No story published; 1 skipped: is withdrawn"
    workflow.apply(Story.objects.filter(pk=story.pk), "reopen", editor)
    assert Story.objects.get(pk=story.pk).status == Status.DRAFT


def test_contributor_may_submit_but_not_publish(contributor):
    story = draft()
    stories = Story.objects.filter(pk=story.pk)
    workflow.apply(stories, "submit", contributor)
    assert Story.objects.get(pk=story.pk).status == Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        workflow.apply(stories, "publish", contributor)
    assert Story.objects.get(pk=story.pk).status == Status.IN_REVIEW


def test_contributor_may_not_reopen_a_withdrawn_story(contributor):
    story = factories.story("Gone", status=Status.WITHDRAWN)
    with pytest.raises(PermissionDenied):
        workflow.apply(Story.objects.filter(pk=story.pk), "reopen", contributor)


def test_each_transition_is_recorded_in_history_with_user_and_reason(editor):
    story = draft()
    workflow.apply(Story.objects.filter(pk=story.pk), "publish", editor)
    version = story.history.latest()
    assert (version.status, version.history_user, version.history_change_reason) == (
        Status.PUBLISHED,
        editor,
        "Published",
    )


def test_buttons_offered_follow_status_and_role(editor, contributor):
    story = draft(start=datetime.date(2020, 3, 14), end=datetime.date(2020, 3, 14))
    assert [t.name for t in workflow.available(story, contributor)] == ["submit"]
    assert [t.name for t in workflow.available(story, editor)] == ["submit", "publish"]
