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

from stories.models import Story

Status = Story.Status


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button: "Publish"
    done: str  # the report: "published"
    sources: tuple
    target: str
    permission: str

    def allowed(self, user):
        return user.has_perm(self.permission)


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            "submit",
            "Submit for review",
            "submitted for review",
            (Status.DRAFT,),
            Status.IN_REVIEW,
            "stories.change_story",
        ),
        Transition(
            "return_to_draft",
            "Return to draft",
            "returned to draft",
            (Status.IN_REVIEW,),
            Status.DRAFT,
            "stories.change_story",
        ),
        Transition(
            "publish",
            "Publish",
            "published",
            (Status.DRAFT, Status.IN_REVIEW),
            Status.PUBLISHED,
            "stories.publish_story",
        ),
        Transition(
            "withdraw",
            "Withdraw",
            "withdrawn",
            (Status.PUBLISHED,),
            Status.WITHDRAWN,
            "stories.publish_story",
        ),
        Transition(
            "reopen",
            "Reopen as draft",
            "reopened as draft",
            (Status.WITHDRAWN,),
            Status.DRAFT,
            "stories.publish_story",
        ),
    ]
}


@dataclass
class Report:
    """What a transition did to a set of stories, in words an editor reads at a glance."""

    transition: Transition
    moved: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    @property
    def message(self):
        count = len(self.moved)
        noun = "story" if count == 1 else "stories"
        parts = [
            f"{count} {noun} {self.transition.done}"
            if count
            else f"No story {self.transition.done}"
        ]
        parts += [f"{n} skipped: {reason}" for reason, n in sorted(self.skipped.items())]
        return "; ".join(parts)


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
        return f"already {transition.done}"
    if story.status not in transition.sources:
        return f"is {Status(story.status).label.lower()}"
    if transition.target == Status.PUBLISHED:
        if not story.title.strip():
            return "no title"
        if not has_source:
            return "no source article"
    return None


def apply(stories, name, user):
    """Move the given stories (a queryset) through the named transition, as `user`.

    Raises PermissionDenied if the user may not apply this transition at all: the check
    every path (button, bulk action, hand-made POST) goes through.
    """
    transition = TRANSITIONS[name]
    if not transition.allowed(user):
        raise PermissionDenied(f"You may not {transition.label.lower()} stories.")
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
            story._change_reason = transition.done.capitalize()
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
