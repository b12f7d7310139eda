"""Revision history helpers on top of django-simple-history.

Rows that arrived without history (the seed fixture, bulk loads) get a first version holding
their current state just before their first recorded edit, so that state can be restored.
"""

import datetime

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext
from simple_history.template_utils import HistoricalRecordContextHelper

# A story's posts are deleted with it, in the same transaction: their deletion records are
# at most moments apart from the story's.
CASCADE_WINDOW = datetime.timedelta(seconds=5)


def record_baseline(model, pk):
    """If the row has no version yet, record its current database state as one."""
    if model.history.filter(**{model._meta.pk.attname: pk}).exists():
        return
    current = model.objects.filter(pk=pk).first()
    if current is None:
        return
    current._history_user = None
    current._change_reason = gettext("State before history was recorded")
    # An unchanged save: simple-history records the row (and its many-to-many links).
    current.save()


def m2m_values(record):
    """The many-to-many links a historical record kept: {field name: [pk, ...]}."""
    values = {}
    for field in record._history_m2m_fields:
        through = field.remote_field.through
        target = next(
            f.name
            for f in through._meta.fields
            if f.is_relation and f.related_model is field.related_model
        )
        values[field.name] = list(getattr(record, field.name).values_list(target, flat=True))
    return values


def deleted_stories(story_model, limit=100):
    """Deleted stories, newest deletion first, each with `restore_id`: the version to restore.

    The deletion record itself has lost the story's places and performers (the links go
    first); the version just before it still has them.
    """
    before = (
        story_model.history.filter(id=OuterRef("id"), history_date__lte=OuterRef("history_date"))
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    latest_deletion = (
        story_model.history.filter(id=OuterRef("id"), history_type="-")
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return (
        story_model.history.filter(history_type="-", history_id=Subquery(latest_deletion))
        .exclude(id__in=story_model.objects.values("pk"))
        .annotate(restore_id=Coalesce(Subquery(before), "history_id"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )


def restore_deleted_posts(post_model, story):
    """Bring back the posts deleted together with `story` (by the cascade), as they were."""
    deletion = story.history.filter(history_type="-").order_by("-history_date").first()
    if deletion is None:
        return 0
    window = (deletion.history_date - CASCADE_WINDOW, deletion.history_date + CASCADE_WINDOW)
    records = post_model.history.filter(
        story_id=story.pk, history_type="-", history_date__range=window
    ).exclude(id__in=post_model.objects.values("pk"))
    restored = 0
    for record in records:
        post = record.instance
        post._change_reason = gettext("Restored with its story")
        post.save(force_insert=True)
        restored += 1
    return restored


class ReadableChanges(HistoricalRecordContextHelper):
    """The history list's "Changes" column in a curator's words: a status as "In review",
    not "review"; times and dates as the admin shows them; a dash, not "None" or "[]",
    where a field was empty."""

    EMPTY = "—"

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "" or value == []:
            return self.EMPTY
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, datetime.datetime):
            return formats.localize(timezone.localtime(value))
        if isinstance(value, datetime.date):
            return formats.localize(value)
        return value
