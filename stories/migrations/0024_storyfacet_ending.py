"""The facet rows of the wide keys (every story, a country, a platform) by end date, so that
a date range narrowed by its first day is one index range (stories/facts.py,
FACET_INDEXES)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0023_sample_facet"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="storyfacet",
            index=models.Index(
                condition=models.Q(("facet__in", ["story", "country", "platform"])),
                fields=["facet", "key", "end_date", "start_date", "kind", "story_id"],
                name="stories_storyfacet_ending",
            ),
        ),
    ]
