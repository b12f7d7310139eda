"""Load test of the public site: wrk against gunicorn, DEBUG off, on PostgreSQL.

    .venv/bin/python bench/load.py --prepare --stories 10000 \\
        --database postgres://postgres@127.0.0.1:55432/bench_load

1. With --prepare: drops and creates the database named in --database, migrates it, fills
   it with `generate_archive --stories N --seed 1` and loads the seed fixture on top.
   Without it the database is used as it is (already prepared by an earlier run).
2. collectstatic, then gunicorn (`--workers`, default 2; `--threads`, default 1) with
   DJANGO_DEBUG=0 on 127.0.0.1:--port, waiting until it answers.
3. A URL mix drawn from the database with a fixed seed and written to bench/out/urls.txt:
   the home page; the story list plain, sorted, on later pages and with each filter
   (city, country, kind, performer, platform, dates, words, combinations); published
   stories; the visible cities and performers; days stories cover; the timeline and the
   map, plain and filtered; the city list. Every URL is requested once first and must
   answer 200, so an error in the run is load, not a bad URL.
4. wrk (Debian's `wrk`) with bench/load.lua: --connections (default 64) over --threads-wrk
   (default 2) for --duration seconds (default 60), each request a URL drawn at random.
   Prints requests/s, latency p50/p90/p99/max, socket errors (connect, read, write,
   timeout) and responses of 400 or more, as Markdown for docs/benchmarks.md, and writes
   bench/out/load.json. Exits 1 if there was any error.

A benchmark, not a test. gunicorn's own log goes to bench/out/gunicorn.log.
"""

import argparse
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
URLS_PER_KIND = 40


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL of the database")
    parser.add_argument("--prepare", action="store_true", help="(re)create and fill it first")
    parser.add_argument("--stories", type=int, default=10_000, help="synthetic stories")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--gunicorn-args", default="", help="more gunicorn arguments")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads-wrk", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument(
        "--timeout",
        type=int,
        default=30,
        help="seconds before wrk counts a request as timed out (gunicorn's worker timeout)",
    )
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": options.database,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "load-benchmark-only"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    if options.prepare:
        prepare(options, env)
    manage(env, "collectstatic", "--no-input", "-v", "0")
    paths = url_mix(env)
    (OUT / "urls.txt").write_text("".join(f"{path}\n" for path in paths))

    base = f"http://127.0.0.1:{options.port}"
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "archive.wsgi",
        "--bind",
        f"127.0.0.1:{options.port}",
        "--workers",
        str(options.workers),
        "--threads",
        str(options.threads),
        "--log-level",
        "warning",
        *options.gunicorn_args.split(),
    ]
    with open(OUT / "gunicorn.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_until_up(base)
            check_each(base, paths)
            result = run_wrk(options, base)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    result.update(
        command=" ".join(sys.argv),
        gunicorn=" ".join(command[1:]),
        urls=len(paths),
        machine=machine(),
    )
    (OUT / "load.json").write_text(json.dumps(result, indent=2))
    print(report(result))
    errors = sum(result[k] for k in ("connect", "read", "write", "timeout")) + sum(
        result["bad"].values()
    )
    sys.exit(1 if errors else 0)


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(options, env):
    """A fresh database: migrated, the synthetic archive, the seed fixture on top."""
    parts = urlsplit(options.database)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "-v", "0")
    manage(env, "generate_archive", "--stories", str(options.stories), "--seed", "1")
    manage(env, "loaddata", "seed", "-v", "0")


URL_MIX = r"""
import json, random
from stories.models import City, LinkedPost, Performer, Story
from browse.filters import SORTS

rng = random.Random(1)
n = URLS_PER_KIND
published = Story.objects.published()
stories = list(published.values_list("slug", flat=True).order_by("pk"))
dated = list(published.exclude(start_date=None).values_list("start_date", flat=True))
cities = list(City.objects.filter(stories__in=published).values_list("slug", flat=True).distinct())
countries = list(published.values_list("cities__country__code", flat=True).distinct())
performers = list(
    Performer.objects.filter(stories__in=published).values_list("slug", flat=True).distinct()
)
print(json.dumps({
    "stories": rng.sample(stories, min(n, len(stories))),
    "days": sorted({d.isoformat() for d in rng.sample(dated, min(n, len(dated)))}),
    "cities": rng.sample(cities, min(n, len(cities))),
    "countries": [c for c in countries if c][:n],
    "performers": rng.sample(performers, min(n, len(performers))),
    "kinds": [k for k, _ in Story.Kind.choices],
    "platforms": [p for p, _ in LinkedPost.Platform.choices],
    "sorts": list(SORTS),
    "pages": max(1, published.count() // 20),
}))
"""


def url_mix(env):
    """The paths wrk draws from: each kind of public page, many instances of each."""
    found = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", URL_MIX.replace("URLS_PER_KIND", str(URLS_PER_KIND))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(found.stdout.strip().splitlines()[-1])
    rng = random.Random(1)
    words = ["balcony", "applause", "music", "dj", "concert", "neighbours", "song", "nurses"]

    def listing(path, **query):
        return f"{path}?{urlencode(query)}" if query else path

    filters = []
    for _ in range(URLS_PER_KIND):
        filters.append(
            rng.choice(
                [
                    {"city": rng.choice(data["cities"])},
                    {"country": rng.choice(data["countries"])},
                    {"kind": rng.choice(data["kinds"])},
                    {"performer": rng.choice(data["performers"])},
                    {"platform": rng.choice(data["platforms"])},
                    {"date_after": "2020-03-15", "date_before": "2020-04-15"},
                    {"q": rng.choice(words)},
                    {"kind": rng.choice(data["kinds"]), "country": rng.choice(data["countries"])},
                    {"q": rng.choice(words), "sort": rng.choice(data["sorts"])},
                ]
            )
        )
    paths = ["/", "/stories/", "/cities/", "/timeline/", "/map/"]
    paths += [listing("/stories/", **query) for query in filters]
    paths += [listing("/stories/", sort=sort) for sort in data["sorts"]]
    pages = data["pages"]
    paths += [listing("/stories/", page=rng.randint(2, pages)) for _ in range(10)]
    paths += [listing("/timeline/", **query) for query in filters[:10]]
    paths += [listing("/map/", **query) for query in filters[10:20]]
    paths += [f"/stories/{slug}/" for slug in data["stories"]]
    paths += [f"/cities/{slug}/" for slug in data["cities"]]
    paths += [f"/performers/{slug}/" for slug in data["performers"]]
    paths += [f"/on/{day}/" for day in data["days"]]
    return paths


def wait_until_up(base, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{base}/", timeout=30).read()
            return
        except OSError:  # refused until gunicorn listens
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def check_each(base, paths):
    """Every URL answers 200 on its own (and is warm in the caches of one worker)."""
    wrong = []
    for path in paths:
        try:
            urllib.request.urlopen(base + path, timeout=30).read()
        except urllib.error.HTTPError as error:
            wrong.append(f"{error.code} {path}")
    if wrong:
        sys.exit("These URLs do not answer 200:\n" + "\n".join(wrong))


def run_wrk(options, base):
    command = [
        "wrk",
        f"-t{options.threads_wrk}",
        f"-c{options.connections}",
        f"-d{options.duration}s",
        f"--timeout={options.timeout}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "load.lua"),
        base,
        "--",
        str(OUT / "urls.txt"),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print(output)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["wrk"] = " ".join(command[:-5] + ["bench/load.lua", base, "--", "bench/out/urls.txt"])
    result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def machine():
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1) if found else model
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def report(result):
    ms = {key: result[f"{key}_us"] / 1000 for key in ("p50", "p90", "p99", "max")}
    bad = ", ".join(f"{count} × {status}" for status, count in sorted(result["bad"].items()))
    sockets = ", ".join(f"{k} {result[k]}" for k in ("connect", "read", "write", "timeout"))
    return (
        "| requests | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | socket errors "
        "| responses ≥ 400 |\n| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n"
        f"| {result['requests']:,} | {result['requests_per_s']:.1f} | {ms['p50']:.0f} "
        f"| {ms['p90']:.0f} | {ms['p99']:.0f} | {ms['max']:.0f} | {sockets} | {bad or 'none'} |\n"
        f"\n{result['machine']}; {result['urls']} URLs; gunicorn {result['gunicorn']}; "
        f"{result['wrk']}"
    )


if __name__ == "__main__":
    main()
