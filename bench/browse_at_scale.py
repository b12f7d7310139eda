"""Times the public pages, cold and warm, on a large archive; prints one table (issue 11).

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/scale1m \\
        .venv/bin/python bench/browse_at_scale.py --urls 30 --mix-budget 60
    DATABASE_URL=sqlite:////work/sqlite-100k.sqlite3 .venv/bin/python bench/browse_at_scale.py

Works on an existing, filled database (PostgreSQL or SQLite, whichever DATABASE_URL
names). With `--fill N` an empty one is migrated and filled first with the synthetic
archive of `generate_archive --stories N --seed 1` (search index included), then VACUUM
ANALYZE (PostgreSQL) or ANALYZE (SQLite).

For each mix of the issue's table it draws `--urls` URLs at random (fixed `--seed`) from the
published data: a city, a country and a first day, a kind and performer of one story, a
page deep in the list, a day, a story... For each URL it clears every Django cache, requests
the URL (cold: its time and number of queries), then requests it again (warm). Requests go
through Django's test client, so times are server-side: the view, the queries, the
templates, the middleware; no network, no gunicorn. The database connection is opened as a
web process opens it (with DATABASE_STATEMENT_TIMEOUT on PostgreSQL), so a page that runs
over the budget shows as a 503 in the "not 200" column and its time is the time it took.

Cold is for Django's caches only: the database keeps in its memory the pages a run read,
so a run after another with the same `--seed` finds the same URLs' pages there. To measure
URLs the database has not read, as a visitor's new filter is, give a seed not used since it
started (docs/benchmarks.md, "issue 11, tenth stop": at a million stories, the same URLs
read in for the first time took a word with a country from 75 ms to 158).

`--mix-budget S` stops a mix once S seconds have gone into it (the URL under way finishes),
so a slow build still finishes; the table says how many URLs each mix did. p95 is the
nearest-rank 95th percentile of the cold times (with 30 URLs, the second slowest). Not a
test: CI runs it at a small size so that it keeps working.
"""

import argparse
import datetime
import logging
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
# DEBUG on serves {% static %} names without collectstatic's manifest; queries are counted
# with CaptureQueriesContext either way.
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from archive import collector  # noqa: E402
from stories.models import City, Country, Story  # noqa: E402

STORIES_PER_PAGE = 20  # as the story list shows them
LAST_DAY = "2021-06-30"  # the date_before, the synthetic archive's last day
# Words of the synthetic archive's titles and summaries ("as neighbours looked on" is in all).
COMMON_WORDS = [
    "neighbours",
    "balcony",
    "concert",
    "applause",
    "windows",
    "workout",
    "street",
    "health",
    "violinist",
    "courtyard",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=30, help="random URLs per mix (30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the URL draw (1)")
    parser.add_argument(
        "--mix-budget",
        type=float,
        default=0,
        metavar="SECONDS",
        help="stop a mix after this many seconds (default: no limit)",
    )
    parser.add_argument(
        "--fill",
        type=int,
        metavar="N",
        help="migrate and fill an empty database with N synthetic stories first",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--only", action="append", metavar="MIX", help="run only mixes whose name contains MIX"
    )
    parser.add_argument(
        "--list-urls", action="store_true", help="print the drawn URLs, one a line, and stop"
    )
    options = parser.parse_args()
    if options.urls < 1:
        parser.error("--urls must be at least 1")

    if options.fill is not None:
        fill(options.fill)
    elif "stories_story" not in connection.introspection.table_names():
        sys.exit("The database is not migrated: give --fill N to migrate and fill it.")
    published = Story.objects.published()
    count = published.count()
    if not count:
        sys.exit("The database has no published story: give --fill N to fill it.")

    sampler = Sampler(random.Random(options.seed), count)
    mixes = [
        (name, [make(sampler) for _ in range(options.urls)])
        for name, make in mixes_of(sampler)
        if not options.only or any(part in name for part in options.only)
    ]
    if options.list_urls:
        print("\n".join(url for _, urls in mixes for url in urls))
        return
    # From here on, like a web process: a new connection, opened after the first request
    # started, so it carries the statement timeout (archive/postgresql/base.py).
    connection.close()
    setup_test_environment()
    # A page that fails is counted in the table's "not 200"; its traceback would bury it.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    client = Client(raise_request_exception=False)
    # As archive/wsgi.py does in gunicorn's workers: what the first request leaves alive is
    # set aside from the collector's full passes.
    collector.freeze_after_first_request()
    for _, urls in mixes:  # templates compiled, modules imported, connection open
        client.get(urls[0])

    started = datetime.datetime.now(datetime.UTC)
    rows = [measure(client, name, urls, options.mix_budget) for name, urls in mixes]
    print(header(options, count, started))
    print(table(rows, options.markdown))


class Sampler:
    """Values drawn at random from the published data, the same ones for the same seed and
    database. Stories are drawn by a random primary key (the next published one at or after
    it), so drawing is cheap with a million stories and favours no slug order."""

    def __init__(self, rng, count):
        self.rng = rng
        self.published = Story.objects.published()
        bounds = self.published.order_by("pk").values_list("pk", flat=True)
        self.first_pk, self.last_pk = bounds.first(), bounds.last()
        self.pages = max(1, math.ceil(count / STORIES_PER_PAGE))
        self.cities = list(City.objects.visible().order_by("slug").values_list("slug", flat=True))
        self.countries = list(
            Country.objects.visible().order_by("code").values_list("code", flat=True)
        )

    def story(self, **conditions):
        """A published story (meeting `conditions`, for example having a start date)."""
        stories = self.published.filter(**conditions).order_by("pk")
        pk = self.rng.randint(self.first_pk, self.last_pk)
        return stories.filter(pk__gte=pk).first() or stories.first()

    def dated_story(self):
        return self.story(start_date__isnull=False)

    def country(self):
        """The country of a random published story's city: weighted as the stories are."""
        code = (
            self.story(cities__isnull=False)
            .cities.order_by("slug")
            .values_list("country__code", flat=True)
            .first()
        )
        return code or self.rng.choice(self.countries)

    def performed_story(self):
        story = self.story(performers__isnull=False)
        return story, story.performers.order_by("slug").first()

    def deep_pages(self):
        """The issue's 1,000 to 5,000, within the pages that exist."""
        return min(1000, max(1, self.pages // 3)), min(5000, self.pages)

    def deep_page(self):
        return self.rng.randint(*self.deep_pages())


def city_url(sampler):
    return f"/stories/?city={sampler.rng.choice(sampler.cities)}"


def country_dates_url(sampler):
    day = sampler.dated_story().start_date.isoformat()
    return f"/stories/?country={sampler.country()}&date_after={day}&date_before={LAST_DAY}"


def kind_performer_url(sampler):
    story, performer = sampler.performed_story()
    return f"/stories/?kind={story.kind}&performer={performer.slug}"


def word_url(sampler):
    return f"/stories/?q={sampler.rng.choice(COMMON_WORDS)}"


def word_country_url(sampler):
    return f"/stories/?q={sampler.rng.choice(COMMON_WORDS)}&country={sampler.country()}"


def mixes_of(sampler):
    """(name, a function of the sampler giving one URL of the mix), in the issue's order."""
    first, last = sampler.deep_pages()
    return [
        ("/stories/", lambda s: "/stories/"),
        ("/stories/?city=<city>", city_url),
        (f"/stories/?country=<code>&date_after=<day>&date_before={LAST_DAY}", country_dates_url),
        ("/stories/?kind=<kind>&performer=<performer>", kind_performer_url),
        ("/stories/?q=<common word>", word_url),
        ("/stories/?q=<word>&country=<code>", word_country_url),
        (f"/stories/?page=<{first}-{last}>", lambda s: f"/stories/?page={s.deep_page()}"),
        ("/on/<day>/", lambda s: f"/on/{s.dated_story().start_date.isoformat()}/"),
        ("/map/", lambda s: "/map/"),
        ("/", lambda s: "/"),
        ("/timeline/", lambda s: "/timeline/"),
        ("/stories/<story>/", lambda s: f"/stories/{s.story().slug}/"),
        ("/cities/<city>/", lambda s: f"/cities/{s.rng.choice(s.cities)}/"),
    ]


def clear_caches():
    for alias in settings.CACHES:
        caches[alias].clear()


def measure(client, name, urls, budget):
    cold, warm, queries, statuses = [], [], [], {}
    started = time.perf_counter()
    for url in urls:
        if budget and time.perf_counter() - started >= budget:
            break
        clear_caches()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured))
        start = time.perf_counter()
        client.get(url)
        warm.append((time.perf_counter() - start) * 1000)
        # DEBUG keeps every query in the connection's log (up to 9,000), which a web
        # process does not: the collector's full passes walked them, 50 to 80 ms each, one
        # request in five, by the end of a run.
        reset_queries()
        if response.status_code != 200:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    print(f"  {name}: {len(cold)} URLs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return {
        "mix": name,
        "done": f"{len(cold)}" if len(cold) == len(urls) else f"{len(cold)} of {len(urls)}",
        "p50": statistics.median(cold),
        "p95": nearest_rank(cold, 95),
        "max": max(cold),
        "warm": statistics.median(warm),
        "queries": statistics.median(queries),
        "not200": ", ".join(f"{n} × {status}" for status, n in sorted(statuses.items())) or "0",
        "load": os.getloadavg()[0],
    }


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


COLUMNS = [
    ("mix", "mix", "{}"),
    ("URLs", "done", "{}"),
    ("p50 ms", "p50", "{:,.0f}"),
    ("p95 ms", "p95", "{:,.0f}"),
    ("max ms", "max", "{:,.0f}"),
    ("warm p50 ms", "warm", "{:,.1f}"),
    ("queries", "queries", "{:g}"),
    ("not 200", "not200", "{}"),
    ("load", "load", "{:.1f}"),
]


def table(rows, markdown):
    cells = [[fmt.format(row[key]) for _, key, fmt in COLUMNS] for row in rows]
    titles = [title for title, _, _ in COLUMNS]
    if markdown:
        lines = ["| " + " | ".join(titles) + " |"]
        lines.append("| --- | " + " | ".join("---:" for _ in titles[1:]) + " |")
        mix_cells = [[f"`{row[0]}`", *row[1:]] for row in cells]
        lines += ["| " + " | ".join(row) + " |" for row in mix_cells]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [titles, *cells]) for i in range(len(titles))]

    def line(row):
        right = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        return "  ".join([row[0].ljust(widths[0]), *right[1:]])

    return "\n".join([line(titles), *(line(row) for row in cells)])


def header(options, count, started):
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{count:,} published stories; {version}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; started {started:%Y-%m-%d %H:%M} UTC; "
        f"load average at the end {load} (the load column: 1-minute load as each mix ended);\n"
        f"{options.urls} URLs a mix, seed {options.seed}"
        + (f", mix budget {options.mix_budget:g} s" if options.mix_budget else "")
        + "; times in ms, cold = every Django cache cleared before the request; "
        "queries: median of the cold requests.\n"
    )


def fill(n):
    if "stories_story" in connection.introspection.table_names() and Story.objects.exists():
        print("The database already has stories: measuring it as it is.", file=sys.stderr)
        return
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("generate_archive", stories=n, seed=1, stdout=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
