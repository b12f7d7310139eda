import datetime
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from preservation.capture import capture_posts, new_fetcher
from stories.models import LinkedPost

from ._fetching import add_fetch_arguments, fetch_options, summary


class Command(BaseCommand):
    help = (
        "Fetch each post's address and media link and keep what answers: a WARC file of "
        "each exchange, and the picture or video a media link gives. Each fetch is also "
        "recorded as a link check. Never replaces a copy; skips an address already captured "
        "unless --again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--story", metavar="SLUG", help="Only this story's posts.")
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            type=day,
            help="Only the posts of stories created or changed on or after this day.",
        )
        parser.add_argument(
            "--again",
            action="store_true",
            help="Capture addresses captured before as well (a new copy; the old one stays).",
        )
        add_fetch_arguments(parser)

    def handle(self, *args, story, since, again, **options):
        posts = LinkedPost.objects.all()
        if story is not None:
            if not LinkedPost.objects.filter(story__slug=story).exists():
                raise CommandError(f"No story “{story}” with posts in the archive.")
            posts = posts.filter(story__slug=story)
        if since is not None:
            posts = posts.filter(story__updated_at__date__gte=since)
        bar = tqdm(unit="address", disable=not sys.stderr.isatty())
        with new_fetcher("capture_posts", **fetch_options(options)) as fetcher:
            tally = capture_posts(
                posts,
                fetcher=fetcher,
                concurrency=options["concurrency"],
                again=again,
                operator=settings.CAPTURE_CONTACT,
                progress=bar,
            )
        bar.close()
        skipped = tally["addresses"] - tally["captured"] - tally["failed"]
        self.stdout.write(
            f"Captured {tally['captured']} of {tally['addresses']} addresses "
            f"({tally['capture']} WARC files, {tally['image']} images, {tally['video']} videos); "
            f"{tally['failed']} not captured{summary(tally)}; {skipped} captured before."
        )


def day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a day (YYYY-MM-DD): {value}") from None
