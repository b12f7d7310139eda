"""The three dates (docs/preservation.md): whether a story's dates are the source's or a
curator's inference, with the curator's note; and an index for the posted-date filters."""

from django.db import migrations, models

ADD_STORY_COLUMNS = [
    "ALTER TABLE stories_story ADD COLUMN dates_from varchar(10) DEFAULT 'source' NOT NULL",
    "ALTER TABLE stories_story ADD COLUMN dates_note text DEFAULT '' NOT NULL",
]
DROP_STORY_COLUMNS = [
    "ALTER TABLE stories_story DROP COLUMN dates_note",
    "ALTER TABLE stories_story DROP COLUMN dates_from",
]


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0021_post_hidden"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalstory",
            name="dates_from",
            field=models.CharField(
                choices=[
                    ("source", "As the source gives it"),
                    ("inferred", "Inferred by a curator"),
                ],
                db_default="source",
                default="source",
                help_text="“As the source gives it” when a source states the day; “inferred by a curator” when you worked it out (from a post's date, a weekday the text names, …). The public story page then says the date was inferred by the archive's curators.",
                max_length=10,
                verbose_name="dates from",
            ),
        ),
        migrations.AddField(
            model_name="historicalstory",
            name="dates_note",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="For curators, required when the dates are inferred: what they were inferred from and what is uncertain. Not shown to the public.",
                verbose_name="how the dates were inferred",
            ),
        ),
        # The story table's columns are added in place, with their database defaults, on
        # both databases: Django would rebuild the whole table on SQLite for a column that
        # is NOT NULL, and with it drop the table's revision, facet and search triggers.
        # (PostgreSQL adds a column with a constant default without rewriting the rows.)
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    ADD_STORY_COLUMNS,
                    reverse_sql=DROP_STORY_COLUMNS,
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="story",
                    name="dates_from",
                    field=models.CharField(
                        choices=[
                            ("source", "As the source gives it"),
                            ("inferred", "Inferred by a curator"),
                        ],
                        db_default="source",
                        default="source",
                        help_text="“As the source gives it” when a source states the day; “inferred by a curator” when you worked it out (from a post's date, a weekday the text names, …). The public story page then says the date was inferred by the archive's curators.",
                        max_length=10,
                        verbose_name="dates from",
                    ),
                ),
                migrations.AddField(
                    model_name="story",
                    name="dates_note",
                    field=models.TextField(
                        blank=True,
                        db_default="",
                        default="",
                        help_text="For curators, required when the dates are inferred: what they were inferred from and what is uncertain. Not shown to the public.",
                        verbose_name="how the dates were inferred",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="linkedpost",
            index=models.Index(fields=["posted_on", "story"], name="stories_post_posted_story"),
        ),
    ]
