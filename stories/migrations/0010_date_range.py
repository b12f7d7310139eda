"""Story and post dates fall between 1 January 2019 and 31 December 2099.

A story dated 31 December 9999 broke the timeline for everyone (issue 10, defect 4). The
range becomes two named check constraints (stories_story_dates_in_range,
stories_post_date_in_range) and validators on the date fields, so the admin names the field.

Rows already out of range are not refused and not guessed at: their dates are cleared (the
archive's way of saying "no source dates it"; a story needs both dates or neither) and the
date that was there is written into the story's curator notes, for a curator to check and
date again. Published stories stay published, as undated stories.

SQLite cannot add a constraint to a table: Django copies the table into a new one and drops
the old one, and with it the archive-revision triggers of migration 0004 on stories_story
and stories_linkedpost (SQLite's row triggers belong to their table; the search triggers are
PostgreSQL's only). They are created again after the copy, each way, as in 0008.
"""

import datetime

import django.core.validators
from django.db import migrations, models

FIRST_DAY = datetime.date(2019, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)


def out_of_range(field):
    return models.Q(**{f"{field}__lt": FIRST_DAY}) | models.Q(**{f"{field}__gt": LAST_DAY})


def note(story, line):
    story.curator_notes = f"{story.curator_notes}\n{line}".strip()


def clear_dates_out_of_range(apps, schema_editor):
    """Clear the dates outside the range, noting each on its story for the curators."""
    Story = apps.get_model("stories", "Story")
    LinkedPost = apps.get_model("stories", "LinkedPost")
    for story in Story.objects.filter(out_of_range("start_date") | out_of_range("end_date")):
        note(
            story,
            f"Migration 0010 cleared the dates {story.start_date} to {story.end_date}: outside "
            f"the archive's range ({FIRST_DAY} to {LAST_DAY}). Date the story again.",
        )
        story.start_date = story.end_date = None
        story.save(update_fields=["start_date", "end_date", "curator_notes"])
    posts = LinkedPost.objects.filter(out_of_range("posted_on")).select_related("story")
    for post in posts:
        note(
            post.story,
            f"Migration 0010 cleared the posted date {post.posted_on} of post {post.position}: "
            f"outside the archive's range ({FIRST_DAY} to {LAST_DAY}).",
        )
        post.story.save(update_fields=["curator_notes"])
        post.posted_on = None
        post.save(update_fields=["posted_on"])


def recreate_sqlite_revision_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the tables in place and keeps their triggers
    bump = "UPDATE stories_archive_revision SET number = number + 1 WHERE id = 1"
    for table in ("stories_story", "stories_linkedpost"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_revision_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN {bump}; END"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0009_field_labels"),
    ]

    operations = [
        migrations.RunPython(clear_dates_out_of_range, recreate_sqlite_revision_triggers),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="posted_on",
            field=models.DateField(
                blank=True,
                help_text="The day the post was published (not the event's day).",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="posted on",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="end_date",
            field=models.DateField(
                blank=True,
                help_text="The last day. The same as the start for a single day.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="end date",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="start_date",
            field=models.DateField(
                blank=True,
                help_text="The day it happened, or the first day. Leave empty when no source dates it; never guess.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="start date",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="posted_on",
            field=models.DateField(
                blank=True,
                help_text="The day the post was published (not the event's day).",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="posted on",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="end_date",
            field=models.DateField(
                blank=True,
                help_text="The last day. The same as the start for a single day.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="end date",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="start_date",
            field=models.DateField(
                blank=True,
                help_text="The day it happened, or the first day. Leave empty when no source dates it; never guess.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2019, 1, 1),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2099, 12, 31),
                        message="Dates must fall between 1 January 2019 and 31 December 2099.",
                    ),
                ],
                verbose_name="start date",
            ),
        ),
        migrations.AddConstraint(
            model_name="linkedpost",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("posted_on__isnull", True),
                    ("posted_on__range", (datetime.date(2019, 1, 1), datetime.date(2099, 12, 31))),
                    _connector="OR",
                ),
                name="stories_post_date_in_range",
                violation_error_message="Dates must fall between 1 January 2019 and 31 December 2099.",
            ),
        ),
        migrations.AddConstraint(
            model_name="story",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("start_date__isnull", True),
                        (
                            "start_date__range",
                            (datetime.date(2019, 1, 1), datetime.date(2099, 12, 31)),
                        ),
                        _connector="OR",
                    ),
                    models.Q(
                        ("end_date__isnull", True),
                        (
                            "end_date__range",
                            (datetime.date(2019, 1, 1), datetime.date(2099, 12, 31)),
                        ),
                        _connector="OR",
                    ),
                ),
                name="stories_story_dates_in_range",
                violation_error_message="Dates must fall between 1 January 2019 and 31 December 2099.",
            ),
        ),
        migrations.RunPython(recreate_sqlite_revision_triggers, migrations.RunPython.noop),
    ]
