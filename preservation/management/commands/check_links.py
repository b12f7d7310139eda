import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from preservation.capture import check_links, new_fetcher
from stories.models import LinkedPost, SourceArticle, Story

from ._fetching import add_fetch_arguments, fetch_options, summary


class Command(BaseCommand):
    help = (
        "Check each post's address, media link and source article's address, and record "
        "what each answered: live, gone (404, 410), withheld (451), blocked (401, 403, 429), "
        "moved (the target kept), error, unreachable (DNS, timeout, TLS, reset, redirect "
        "loop). Adds a check each time; never deletes or changes anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--story", metavar="SLUG", help="Only this story's posts and sources.")
        add_fetch_arguments(parser)

    def handle(self, *args, story, **options):
        posts, sources = LinkedPost.objects.all(), SourceArticle.objects.all()
        if story is not None:
            if not Story.objects.filter(slug=story).exists():
                raise CommandError(f"No story “{story}” in the archive.")
            posts = posts.filter(story__slug=story)
            sources = sources.filter(stories__slug=story)
        bar = tqdm(unit="address", disable=not sys.stderr.isatty())
        with new_fetcher("check_links", read_body=False, **fetch_options(options)) as fetcher:
            tally = check_links(
                posts, sources, fetcher=fetcher, concurrency=options["concurrency"], progress=bar
            )
        bar.close()
        total = sum(tally.values())
        self.stdout.write(f"Checked {total} addresses{summary(tally, every=True)}.")
