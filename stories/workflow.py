"""The editorial workflow: which status a story may move to, who may move it, and why not.

    draft ──submit──▶ review ──publish──▶ published ──withdraw──▶ withdrawn
      ▲  ◀──return to draft──┘   ▲                                   │
      │  └────────publish────────┘                                   │
      └──────────────────────────reopen as draft─────────────────────┘

The admin's buttons and bulk actions both call `apply()`, which checks the permission on the
server, moves each story it may, skips the rest with a reason, and records each change in the
story's history with the user and the transition as its reason.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext
from django.utils.translation import gettext_lazy as _

from stories.models import Story

Status = Story.Status


@dataclass(frozen=True)
class Transition:
    """One move of the workflow, with every text a person reads about it, whole."""

    name: str
    label: str  # the button: "Publish"
    action: str  # the bulk action: "Publish selected stories"
    moved: str  # the report, a plural on "count": "3 stories published"
    none_moved: str  # the report when no story moved: "No story published"
    already: str  # why a story at the target is skipped: "already published"
    reason: str  # the change reason in the story's history: "Published"
    forbidden: str  # the refusal: "You may not publish stories."
    sources: tuple
    target: str
    permission: str

    def allowed(self, user):
        return user.has_perm(self.permission)


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            name="submit",
            label=_("Submit for review"),
            action=_("Submit selected stories for review"),
            moved=ngettext_lazy(
                "%(count)s story submitted for review",
                "%(count)s stories submitted for review",
                "count",
            ),
            none_moved=_("No story submitted for review"),
            already=_("already submitted for review"),
            reason=_("Submitted for review"),
            forbidden=_("You may not submit stories for review."),
            sources=(Status.DRAFT,),
            target=Status.IN_REVIEW,
            permission="stories.change_story",
        ),
        Transition(
            name="return_to_draft",
            label=_("Return to draft"),
            action=_("Return selected stories to draft"),
            moved=ngettext_lazy(
                "%(count)s story returned to draft",
                "%(count)s stories returned to draft",
                "count",
            ),
            none_moved=_("No story returned to draft"),
            already=_("already returned to draft"),
            reason=_("Returned to draft"),
            forbidden=_("You may not return stories to draft."),
            sources=(Status.IN_REVIEW,),
            target=Status.DRAFT,
            permission="stories.change_story",
        ),
        Transition(
            name="publish",
            label=_("Publish"),
            action=_("Publish selected stories"),
            moved=ngettext_lazy(
                "%(count)s story published", "%(count)s stories published", "count"
            ),
            none_moved=_("No story published"),
            already=_("already published"),
            reason=_("Published"),
            forbidden=_("You may not publish stories."),
            sources=(Status.DRAFT, Status.IN_REVIEW),
            target=Status.PUBLISHED,
            permission="stories.publish_story",
        ),
        Transition(
            name="withdraw",
            label=_("Withdraw"),
            action=_("Withdraw selected stories"),
            moved=ngettext_lazy(
                "%(count)s story withdrawn", "%(count)s stories withdrawn", "count"
            ),
            none_moved=_("No story withdrawn"),
            already=_("already withdrawn"),
            reason=_("Withdrawn"),
            forbidden=_("You may not withdraw stories."),
            sources=(Status.PUBLISHED,),
            target=Status.WITHDRAWN,
            permission="stories.publish_story",
        ),
        Transition(
            name="reopen",
            label=_("Reopen as draft"),
            action=_("Reopen selected stories as draft"),
            moved=ngettext_lazy(
                "%(count)s story reopened as draft",
                "%(count)s stories reopened as draft",
                "count",
            ),
            none_moved=_("No story reopened as draft"),
            already=_("already reopened as draft"),
            reason=_("Reopened as draft"),
            forbidden=_("You may not reopen stories as draft."),
            sources=(Status.WITHDRAWN,),
            target=Status.DRAFT,
            permission="stories.publish_story",
        ),
    ]
}

# Why a story in this status cannot take a transition from it: "is draft".
IS_IN_STATUS = {
    Status.DRAFT: _("is draft"),
    Status.IN_REVIEW: _("is in review"),
    Status.PUBLISHED: _("is published"),
    Status.WITHDRAWN: _("is withdrawn"),
}


@dataclass
class Report:
    """What a transition did to a set of stories, in words an editor reads at a glance."""

    transition: Transition
    moved: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    @property
    def message(self):
        """ "3 stories published; 1 skipped: no title" """
        count = len(self.moved)
        parts = [
            self.transition.moved % {"count": count} if count else str(self.transition.none_moved)
        ]
        parts += [
            ngettext("%(count)s skipped: %(reason)s", "%(count)s skipped: %(reason)s", n)
            % {"count": n, "reason": reason}
            for reason, n in sorted(self.skipped.items())
        ]
        # Translators: between the clauses of a workflow report: "3 published; 1 skipped".
        return pgettext("clauses of a report", "; ").join(parts)


def available(story, user):
    """The transitions this user may apply to this story now (the change form's buttons)."""
    return [
        transition
        for transition in TRANSITIONS.values()
        if story.status in transition.sources and transition.allowed(user)
    ]


def refusal(story, transition, has_source):
    """Why this story cannot take this transition, or None if it can."""
    if story.status == transition.target:
        return str(transition.already)
    if story.status not in transition.sources:
        return str(IS_IN_STATUS[story.status])
    if transition.target == Status.PUBLISHED:
        if not story.title.strip():
            return gettext("no title")
        if not has_source:
            return gettext("no source article")
    return None


def apply(stories, name, user):
    """Move the given stories (a queryset) through the named transition, as `user`.

    Raises PermissionDenied if the user may not apply this transition at all: the check
    every path (button, bulk action, hand-made POST) goes through.
    """
    transition = TRANSITIONS[name]
    if not transition.allowed(user):
        raise PermissionDenied(str(transition.forbidden))
    report = Report(transition)
    pks = list(stories.values_list("pk", flat=True))
    with transaction.atomic():
        locked = (
            Story.objects.filter(pk__in=pks)
            .select_for_update()
            .annotate(has_source=Exists(Story.sources.through.objects.filter(story=OuterRef("pk"))))
            .order_by("pk")
        )
        for story in locked:
            reason = refusal(story, transition, story.has_source)
            if reason:
                report.skipped[reason] += 1
                continue
            story.status = transition.target
            if transition.target == Status.PUBLISHED and story.published_at is None:
                story.published_at = timezone.now()  # the first publication only
            story._history_user = user
            story._change_reason = str(transition.reason)
            story.save()
            report.moved.append(story)
    return report


# Editing rules (the admin's object permissions) ----------------------------------------

EDITABLE_BY_CONTRIBUTORS = (Status.DRAFT, Status.IN_REVIEW)


def can_edit_story(user, story):
    """Drafts and stories in review are open to contributors; public ones to editors only."""
    if story is None or story.status in EDITABLE_BY_CONTRIBUTORS:
        return True
    return user.has_perm("stories.publish_story")
