"""Times the open data at scale: the streamed CSV and JSON downloads, and the API's pages,
cold (issue 12).

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/scale1m .venv/bin/python \\
        bench/opendata_at_scale.py --markdown

On an existing, filled database (bench/browse_at_scale.py --fill makes one). Requests go
through Django's test client, so times are server-side (no network, no gunicorn).

1. Downloads: streams `/stories/export.csv` (every published story), and the CSV and JSON of
   one country, reading the body chunk by chunk as a client would and dropping it; prints
   rows, bytes, seconds, rows a second, and the process's resident memory before, at its
   highest while streaming (sampled every 10,000 rows) and after.
2. The API: for each kind of page (the first page of stories, a filter, a page deep in the
   stories through its cursor, a story, the cities), `--urls` random URLs, every Django
   cache cleared before each (cold), then the same again (warm); p50, p95, max, queries.
"""

import argparse
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
# DEBUG off: with it on, Django keeps the last 9,000 queries' SQL, which a download of a
# million stories fills (about 80 MB): the memory column would measure that log.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("API_RATE_LIMIT", "")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opendata.api import encode_cursor  # noqa: E402
from stories.models import City, Country, Story  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def clear_caches():
    for cache in caches.all():
        cache.clear()


def download(client, url):
    clear_caches()
    before = rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size, lines, highest = 0, 0, before
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n") if url.endswith(".json") or "json?" in url else 1
        if lines % 10_000 == 0:
            highest = max(highest, rss_mb())
    seconds = time.perf_counter() - started
    highest = max(highest, rss_mb())
    rows = lines - 1 if "csv" in url else lines - 2
    return {
        "url": url,
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "rate": rows / seconds if seconds else 0,
        "before": before,
        "highest": highest,
        "after": rss_mb(),
    }


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-len(ordered) * percent // 100) - 1))]


def timed(client, url):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed, len(queries)


def api_mixes(rng, count):
    published = Story.objects.published()
    total = published.count()
    countries = list(Country.objects.counted().values_list("code", flat=True))
    cities = list(City.objects.visible().values_list("slug", flat=True)[:5000])

    def deep():
        row = published.newest_first().values_list("start_date", "title", "pk")[
            rng.randrange(total // 2, total - 100)
        ]
        cursor = encode_cursor({"after": [row[0].isoformat() if row[0] else None, row[1], row[2]]})
        return f"/api/stories/?cursor={cursor}"

    def story():
        pk = rng.randrange(1, total)
        slug = published.filter(pk__gte=pk).order_by("pk").values_list("slug", flat=True)[:1]
        return f"/api/stories/{slug[0]}/"

    return {
        "/api/stories/": lambda: "/api/stories/?page_size=20",
        "/api/stories/?country=<code>": lambda: f"/api/stories/?country={rng.choice(countries)}",
        "/api/stories/?city=<slug>": lambda: f"/api/stories/?city={rng.choice(cities)}",
        "/api/stories/?cursor=<deep>": deep,
        "/api/stories/<slug>/": story,
        "/api/cities/?page_size=100": lambda: "/api/cities/?page_size=100",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=30, help="random URLs per API page (30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--skip-downloads", action="store_true")
    options = parser.parse_args()
    client = Client()
    rng = random.Random(options.seed)
    count = Story.objects.published().count()
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{connection.vendor}; {count:,} published stories; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if not options.skip_downloads:
        country = Country.objects.counted().order_by("code").values_list("code", flat=True).first()
        print("\n| download | rows | MB | s | rows/s | RSS MB before / highest / after |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for url in (
            "/stories/export.csv",
            f"/stories/export.csv?country={country}",
            f"/stories/export.json?country={country}",
        ):
            r = download(client, url)
            print(
                f"| `{r['url']}` | {r['rows']:,} | {r['bytes'] / 1e6:,.0f} | {r['seconds']:,.1f} "
                f"| {r['rate']:,.0f} | {r['before']:,.0f} / {r['highest']:,.0f} / "
                f"{r['after']:,.0f} |"
            )
    print("\n| API page | URLs | cold p50 ms | cold p95 ms | cold max ms | warm p50 ms | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, make in api_mixes(rng, options.urls).items():
        cold, warm, queries = [], [], []
        for _ in range(options.urls):
            url = make()
            clear_caches()
            elapsed, asked = timed(client, url)
            cold.append(elapsed)
            queries.append(asked)
            warm.append(timed(client, url)[0])
        print(
            f"| `{name}` | {len(cold)} | {statistics.median(cold):,.0f} "
            f"| {nearest_rank(cold, 95):,.0f} | {max(cold):,.0f} | {statistics.median(warm):,.1f} "
            f"| {max(queries)} |"
        )


if __name__ == "__main__":
    main()
