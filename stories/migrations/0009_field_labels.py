"""Translatable labels: every field and model of the archive gets an explicit gettext_lazy
verbose name, its English text the one Django derived before.

Labels are not part of the schema: `sqlmigrate` gives no SQL for any of these operations on
SQLite or PostgreSQL, so no SQLite table is rebuilt and the archive-revision triggers of
migration 0004 stay in place (unlike 0008).
"""

import django.contrib.postgres.search
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0008_post_handle_without_at"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="city",
            options={"ordering": ["name"], "verbose_name": "city", "verbose_name_plural": "cities"},
        ),
        migrations.AlterModelOptions(
            name="country",
            options={
                "ordering": ["name"],
                "verbose_name": "country",
                "verbose_name_plural": "countries",
            },
        ),
        migrations.AlterModelOptions(
            name="linkedpost",
            options={
                "ordering": ["story", "position"],
                "verbose_name": "linked post",
                "verbose_name_plural": "linked posts",
            },
        ),
        migrations.AlterModelOptions(
            name="loadrecord",
            options={
                "ordering": ["-started_at"],
                "verbose_name": "load record",
                "verbose_name_plural": "load records",
            },
        ),
        migrations.AlterModelOptions(
            name="performer",
            options={
                "ordering": ["name"],
                "verbose_name": "performer",
                "verbose_name_plural": "performers",
            },
        ),
        migrations.AlterModelOptions(
            name="region",
            options={
                "ordering": ["name"],
                "verbose_name": "region",
                "verbose_name_plural": "regions",
            },
        ),
        migrations.AlterModelOptions(
            name="sourcearticle",
            options={
                "ordering": ["-published_on", "slug"],
                "verbose_name": "source article",
                "verbose_name_plural": "source articles",
            },
        ),
        migrations.AlterModelOptions(
            name="story",
            options={
                "ordering": ["-start_date", "title"],
                "permissions": [("publish_story", "Can publish and withdraw stories")],
                "verbose_name": "story",
                "verbose_name_plural": "stories",
            },
        ),
        migrations.AlterField(
            model_name="city",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cities",
                to="stories.country",
                verbose_name="country",
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="geonames_id",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="The city's id in GeoNames, where known.",
                null=True,
                verbose_name="geonames id",
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="latitude",
            field=models.DecimalField(
                blank=True, decimal_places=5, max_digits=8, null=True, verbose_name="latitude"
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="longitude",
            field=models.DecimalField(
                blank=True, decimal_places=5, max_digits=8, null=True, verbose_name="longitude"
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="name",
            field=models.CharField(
                help_text="The English name, as visitors know it.",
                max_length=100,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="region",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cities",
                to="stories.region",
                verbose_name="region",
            ),
        ),
        migrations.AlterField(
            model_name="city",
            name="slug",
            field=models.SlugField(
                help_text="Lower-case English name (florence). Where two cities share a name, add the country code (valencia-ve).",
                max_length=100,
                verbose_name="slug",
            ),
        ),
        migrations.AlterField(
            model_name="country",
            name="code",
            field=models.CharField(
                help_text="ISO 3166-1 alpha-2 code in capitals, for example IT or ES.",
                max_length=2,
                verbose_name="code",
            ),
        ),
        migrations.AlterField(
            model_name="country",
            name="name",
            field=models.CharField(
                help_text="The English short name.", max_length=100, verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="country",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="stories.country",
                verbose_name="country",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="geonames_id",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="The city's id in GeoNames, where known.",
                null=True,
                verbose_name="geonames id",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="latitude",
            field=models.DecimalField(
                blank=True, decimal_places=5, max_digits=8, null=True, verbose_name="latitude"
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="longitude",
            field=models.DecimalField(
                blank=True, decimal_places=5, max_digits=8, null=True, verbose_name="longitude"
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="name",
            field=models.CharField(
                help_text="The English name, as visitors know it.",
                max_length=100,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="region",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="stories.region",
                verbose_name="region",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcity",
            name="slug",
            field=models.SlugField(
                help_text="Lower-case English name (florence). Where two cities share a name, add the country code (valencia-ve).",
                max_length=100,
                verbose_name="slug",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcountry",
            name="code",
            field=models.CharField(
                help_text="ISO 3166-1 alpha-2 code in capitals, for example IT or ES.",
                max_length=2,
                verbose_name="code",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcountry",
            name="name",
            field=models.CharField(
                help_text="The English short name.", max_length=100, verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="author_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="author name"),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="handle",
            field=models.CharField(
                blank=True, help_text="Without the “@”.", max_length=100, verbose_name="handle"
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="platform",
            field=models.CharField(
                blank=True,
                choices=[
                    ("twitter", "Twitter"),
                    ("facebook", "Facebook"),
                    ("instagram", "Instagram"),
                    ("youtube", "YouTube"),
                    ("tiktok", "TikTok"),
                    ("other", "Other"),
                ],
                help_text="Derived from the URL (or the media link) when left empty.",
                max_length=20,
                verbose_name="platform",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="position",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="Order of the post within its story, from 1.",
                verbose_name="position",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="posted_on",
            field=models.DateField(
                blank=True,
                help_text="The day the post was published (not the event's day).",
                null=True,
                verbose_name="posted on",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="reach",
            field=models.CharField(
                blank=True,
                help_text="Reported reach in the source's words: “viewed more than 4 million times”.",
                max_length=300,
                verbose_name="reach",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="reach_count",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="The reported reach as a number, where one is given.",
                null=True,
                verbose_name="reach count",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="story",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="stories.story",
                verbose_name="story",
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="text",
            field=models.TextField(
                blank=True, help_text="The post's text, exactly as archived.", verbose_name="text"
            ),
        ),
        migrations.AlterField(
            model_name="historicallinkedpost",
            name="url",
            field=models.URLField(
                blank=True,
                help_text="The post's own address. Leave empty if the sources do not give it.",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter an http:// or https:// address.", schemes=["http", "https"]
                    )
                ],
                verbose_name="url",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperformer",
            name="identified",
            field=models.BooleanField(
                default=True,
                help_text="Untick when the sources do not name this performer. Never guess a name.",
                verbose_name="identified",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperformer",
            name="kind",
            field=models.CharField(
                choices=[
                    ("individual", "Individual"),
                    ("group", "Group"),
                    ("crowd", "Crowd of residents"),
                ],
                default="individual",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperformer",
            name="name",
            field=models.CharField(
                help_text="The name the sources give. For someone unnamed, describe them (“Unidentified DJ in Palermo”) and untick “identified”.",
                max_length=200,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperformer",
            name="role",
            field=models.CharField(
                blank=True,
                help_text="What they did, in words: tenor, DJ, fitness trainer.",
                max_length=100,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperformer",
            name="slug",
            field=models.SlugField(max_length=200, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="historicalregion",
            name="country",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="stories.country",
                verbose_name="country",
            ),
        ),
        migrations.AlterField(
            model_name="historicalregion",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="historicalregion",
            name="slug",
            field=models.SlugField(max_length=100, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="excerpt",
            field=models.TextField(
                blank=True,
                help_text="The text of the article, as archived.",
                verbose_name="excerpt",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="outlet",
            field=models.CharField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=200,
                verbose_name="outlet",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="published_on",
            field=models.DateField(blank=True, null=True, verbose_name="published on"),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="slug",
            field=models.SlugField(
                help_text="A stable identifier, for example article-2020-03-16.",
                max_length=200,
                verbose_name="slug",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="title",
            field=models.CharField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=300,
                verbose_name="title",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsourcearticle",
            name="url",
            field=models.URLField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter an http:// or https:// address.", schemes=["http", "https"]
                    )
                ],
                verbose_name="url",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="body",
            field=models.TextField(
                blank=True, help_text="The story in full, in Markdown.", verbose_name="body"
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="created_at",
            field=models.DateTimeField(blank=True, editable=False, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="curator_notes",
            field=models.TextField(
                blank=True,
                help_text="Private to curators: what is unknown, how a date was inferred, what to check.",
                verbose_name="curator notes",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="end_date",
            field=models.DateField(
                blank=True,
                help_text="The last day. The same as the start for a single day.",
                null=True,
                verbose_name="end date",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="kind",
            field=models.CharField(
                choices=[
                    ("music", "Music"),
                    ("applause", "Applause"),
                    ("workout", "Workout"),
                    ("dj-set", "DJ set"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="published_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Set when the story is first published.",
                null=True,
                verbose_name="published at",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="slug",
            field=models.SlugField(max_length=200, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="start_date",
            field=models.DateField(
                blank=True,
                help_text="The day it happened, or the first day. Leave empty when no source dates it; never guess.",
                null=True,
                verbose_name="start date",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("review", "In review"),
                    ("published", "Published"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="draft",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="summary",
            field=models.TextField(
                blank=True,
                help_text="One or two sentences for lists and feeds.",
                verbose_name="summary",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="title",
            field=models.CharField(max_length=300, verbose_name="title"),
        ),
        migrations.AlterField(
            model_name="historicalstory",
            name="updated_at",
            field=models.DateTimeField(blank=True, editable=False, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="author_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="author name"),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="handle",
            field=models.CharField(
                blank=True, help_text="Without the “@”.", max_length=100, verbose_name="handle"
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="platform",
            field=models.CharField(
                blank=True,
                choices=[
                    ("twitter", "Twitter"),
                    ("facebook", "Facebook"),
                    ("instagram", "Instagram"),
                    ("youtube", "YouTube"),
                    ("tiktok", "TikTok"),
                    ("other", "Other"),
                ],
                help_text="Derived from the URL (or the media link) when left empty.",
                max_length=20,
                verbose_name="platform",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="position",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="Order of the post within its story, from 1.",
                verbose_name="position",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="posted_on",
            field=models.DateField(
                blank=True,
                help_text="The day the post was published (not the event's day).",
                null=True,
                verbose_name="posted on",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="reach",
            field=models.CharField(
                blank=True,
                help_text="Reported reach in the source's words: “viewed more than 4 million times”.",
                max_length=300,
                verbose_name="reach",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="reach_count",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="The reported reach as a number, where one is given.",
                null=True,
                verbose_name="reach count",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="story",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="posts",
                to="stories.story",
                verbose_name="story",
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="text",
            field=models.TextField(
                blank=True, help_text="The post's text, exactly as archived.", verbose_name="text"
            ),
        ),
        migrations.AlterField(
            model_name="linkedpost",
            name="url",
            field=models.URLField(
                blank=True,
                help_text="The post's own address. Leave empty if the sources do not give it.",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter an http:// or https:// address.", schemes=["http", "https"]
                    )
                ],
                verbose_name="url",
            ),
        ),
        migrations.AlterField(
            model_name="loadrecord",
            name="command",
            field=models.CharField(
                help_text="The management command that loaded.",
                max_length=50,
                verbose_name="command",
            ),
        ),
        migrations.AlterField(
            model_name="loadrecord",
            name="counts",
            field=models.JSONField(
                default=dict,
                help_text='Rows written, by model: {"stories.story": 1000, ...}.',
                verbose_name="counts",
            ),
        ),
        migrations.AlterField(
            model_name="loadrecord",
            name="finished_at",
            field=models.DateTimeField(verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="loadrecord",
            name="source",
            field=models.CharField(
                help_text="Where the rows came from: a file path, or the generator's seed.",
                max_length=500,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="loadrecord",
            name="started_at",
            field=models.DateTimeField(verbose_name="started at"),
        ),
        migrations.AlterField(
            model_name="performer",
            name="identified",
            field=models.BooleanField(
                default=True,
                help_text="Untick when the sources do not name this performer. Never guess a name.",
                verbose_name="identified",
            ),
        ),
        migrations.AlterField(
            model_name="performer",
            name="kind",
            field=models.CharField(
                choices=[
                    ("individual", "Individual"),
                    ("group", "Group"),
                    ("crowd", "Crowd of residents"),
                ],
                default="individual",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="performer",
            name="name",
            field=models.CharField(
                help_text="The name the sources give. For someone unnamed, describe them (“Unidentified DJ in Palermo”) and untick “identified”.",
                max_length=200,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="performer",
            name="role",
            field=models.CharField(
                blank=True,
                help_text="What they did, in words: tenor, DJ, fitness trainer.",
                max_length=100,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="performer",
            name="slug",
            field=models.SlugField(max_length=200, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="region",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="regions",
                to="stories.country",
                verbose_name="country",
            ),
        ),
        migrations.AlterField(
            model_name="region",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="region",
            name="slug",
            field=models.SlugField(max_length=100, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="excerpt",
            field=models.TextField(
                blank=True,
                help_text="The text of the article, as archived.",
                verbose_name="excerpt",
            ),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="outlet",
            field=models.CharField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=200,
                verbose_name="outlet",
            ),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="published_on",
            field=models.DateField(blank=True, null=True, verbose_name="published on"),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="slug",
            field=models.SlugField(
                help_text="A stable identifier, for example article-2020-03-16.",
                max_length=200,
                verbose_name="slug",
            ),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="title",
            field=models.CharField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=300,
                verbose_name="title",
            ),
        ),
        migrations.AlterField(
            model_name="sourcearticle",
            name="url",
            field=models.URLField(
                blank=True,
                help_text="Leave empty if unknown.",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter an http:// or https:// address.", schemes=["http", "https"]
                    )
                ],
                verbose_name="url",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="body",
            field=models.TextField(
                blank=True, help_text="The story in full, in Markdown.", verbose_name="body"
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="cities",
            field=models.ManyToManyField(
                blank=True, related_name="stories", to="stories.city", verbose_name="cities"
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="countries",
            field=models.ManyToManyField(
                blank=True,
                help_text="Use when the sources name a country but no city or region.",
                related_name="stories",
                to="stories.country",
                verbose_name="countries",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="story",
            name="curator_notes",
            field=models.TextField(
                blank=True,
                help_text="Private to curators: what is unknown, how a date was inferred, what to check.",
                verbose_name="curator notes",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="end_date",
            field=models.DateField(
                blank=True,
                help_text="The last day. The same as the start for a single day.",
                null=True,
                verbose_name="end date",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="kind",
            field=models.CharField(
                choices=[
                    ("music", "Music"),
                    ("applause", "Applause"),
                    ("workout", "Workout"),
                    ("dj-set", "DJ set"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="performers",
            field=models.ManyToManyField(
                blank=True,
                related_name="stories",
                to="stories.performer",
                verbose_name="performers",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="published_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Set when the story is first published.",
                null=True,
                verbose_name="published at",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="regions",
            field=models.ManyToManyField(
                blank=True,
                help_text="Use when the sources name a region but no city (a DJ “in Sicily”).",
                related_name="stories",
                to="stories.region",
                verbose_name="regions",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False,
                help_text="Kept up to date by database triggers on PostgreSQL (see stories/search.py).",
                null=True,
                verbose_name="search vector",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="slug",
            field=models.SlugField(max_length=200, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="story",
            name="sources",
            field=models.ManyToManyField(
                blank=True,
                related_name="stories",
                to="stories.sourcearticle",
                verbose_name="sources",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="start_date",
            field=models.DateField(
                blank=True,
                help_text="The day it happened, or the first day. Leave empty when no source dates it; never guess.",
                null=True,
                verbose_name="start date",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("review", "In review"),
                    ("published", "Published"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="draft",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="summary",
            field=models.TextField(
                blank=True,
                help_text="One or two sentences for lists and feeds.",
                verbose_name="summary",
            ),
        ),
        migrations.AlterField(
            model_name="story",
            name="title",
            field=models.CharField(max_length=300, verbose_name="title"),
        ),
        migrations.AlterField(
            model_name="story",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
    ]
