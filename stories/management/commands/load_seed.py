from django.core.management import call_command
from django.core.management.base import BaseCommand

from stories.models import Story


class Command(BaseCommand):
    help = (
        "Load the seed (the six stories of the article of 16 March 2020) into an empty "
        "archive, and leave an archive that holds stories as it is: loading the seed again "
        "would put its text back over editors' changes to those stories. `make run` calls it."
    )

    def handle(self, *args, **options):
        stories = Story.objects.count()
        if stories:
            if options["verbosity"]:
                self.stdout.write(
                    f"The archive holds {stories:,} stories: the seed is not loaded again "
                    "(it would undo editors' changes to its stories)."
                )
            return
        call_command("loaddata", "seed", verbosity=options["verbosity"])
