import time

from django.core.management.base import BaseCommand

from stories import facts


class Command(BaseCommand):
    help = (
        "Recompute the facet tables (stories/facts.py) from the stories, in one transaction: "
        "after restoring a database from a dump that left them out, or to check them. Pages "
        "keep serving the old counts until it commits. Bulk loads do this themselves."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        facts.rebuild()
        if options["verbosity"]:
            rows = facts.summary("story")["story"][1]
            self.stdout.write(
                f"Counted {rows:,} published stories in {time.monotonic() - started:.1f} s."
            )
