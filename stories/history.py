"""Revision history helpers on top of django-simple-history.

Rows that arrived without history (the seed fixture, bulk loads) get a first version holding
their current state just before their first recorded edit, so that state can be restored.
"""


def record_baseline(model, pk):
    """If the row has no version yet, record its current database state as one."""
    if model.history.filter(**{model._meta.pk.attname: pk}).exists():
        return
    current = model.objects.filter(pk=pk).first()
    if current is None:
        return
    current._history_user = None
    current._change_reason = "State before history was recorded"
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
