import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from stories.interchange.ingest import (
    MAX_ARTICLE_BYTES,
    ArticleError,
    describe,
    import_articles,
)


class Command(BaseCommand):
    help = (
        "Import news articles (a ' date YYYY-MM-DD ' header, paragraphs, embedded posts) as "
        "draft stories with their posts and places, all in one transaction. Re-importing an "
        "article changes nothing. An article may be at most "
        f"{MAX_ARTICLE_BYTES // 2**20} MB; a longer file, or a value the archive cannot hold, "
        "is refused naming the file (and line) and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Article text files.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be done; write nothing."
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print what was extracted as JSON instead of the summary: for each article its "
            "date and stories, each with its posts and places. Combine with --dry-run to look "
            "without importing.",
        )

    def handle(self, *args, paths, dry_run, json: bool, **options):
        try:
            articles, counts = import_articles(paths, dry_run=dry_run)
        except ArticleError as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from exc
        if json:
            self.stdout.write(_dumps([article.as_dict() for article in articles]))
            return
        if dry_run:
            report = gettext("Dry run, nothing written: would have %(report)s.")
        else:
            report = gettext("%(report)s.")
        self.stdout.write(report % {"report": describe(counts)})


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, indent=2)
