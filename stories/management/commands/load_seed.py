import json

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from stories.models import Story

SEED = "stories/fixtures/seed.json"


def seed_slugs():
    from django.conf import settings

    records = json.loads((settings.BASE_DIR / SEED).read_text())
    return [r["fields"]["slug"] for r in records if r["model"] == "stories.story"]


class Command(BaseCommand):
    help = (
        "Load the seed (the six stories of the article of 16 March 2020) into an empty "
        "archive, and leave an archive that holds stories as it is: loading the seed again "
        "would put its text back over editors' changes to those stories. `make run` calls it. "
        "With --alongside, add the seed to an archive that holds none of its stories (after "
        "`generate_archive`, to try the site with both)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--alongside",
            action="store_true",
            help=(
                "Add the seed to an archive holding other stories but none of the seed's. "
                "Its countries, region and cities are matched by their codes and slugs and "
                "take the seed's names and coordinates."
            ),
        )

    def handle(self, *args, alongside, **options):
        stories = Story.objects.count()
        if alongside:
            present = Story.objects.filter(slug__in=seed_slugs()).count()
            if present:
                raise CommandError(
                    f"The archive already holds {present} of the seed's stories: nothing was "
                    "loaded (it would put the seed's text back over editors' changes)."
                )
        elif stories:
            if options["verbosity"]:
                self.stdout.write(
                    f"The archive holds {stories:,} stories: the seed is not loaded again "
                    "(it would undo editors' changes to its stories). To add it beside "
                    "other stories, run `manage.py load_seed --alongside`."
                )
            return
        with transaction.atomic():
            call_command("loaddata", "seed", verbosity=options["verbosity"])
