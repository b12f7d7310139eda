"""Requests per second under wrk: our pages, a static file of the same size, and Datasette.

    DATABASE_URL=sqlite:////work/sqlite-100k.sqlite3 .venv/bin/python bench/throughput.py
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/scale1m \\
        .venv/bin/python bench/throughput.py --duration 30

On the existing, filled database DATABASE_URL names (bench/browse_at_scale.py --fill makes one):

1. collectstatic, then gunicorn (`--workers`, default 2; a new one for each run) with
   DJANGO_DEBUG=0 on 127.0.0.1:`--port`. A random URL mix: `--urls` URLs of each of
   browse_at_scale.py's mixes (the same draw, `--seed`), never asked before the run, so most
   requests are cold and a repeated URL finds the cache as a running site would have it.
2. The city list alone: `/stories/?city=<city>` for every visible city, in random order
   (cold: with 2,000 cities, few are asked twice in a run); then one city alone, asked
   again and again (after its first request, each is the page kept whole in the cache,
   browse/caching.py: what a popular filter costs a running site).
3. A static file, served by the same gunicorn through WhiteNoise from STATIC_ROOT, as large
   as the median page of the mix (one page of each mix is fetched to size it).
4. On SQLite (unless --no-datasette): Datasette (`datasette` in the dev extra) under
   gunicorn with as many uvicorn workers (`--workers`), each its own server on the one port
   (see LOPSIDED), read-only, asked for the same thing as
   step 2: each city's published stories newest event first, 20 a page, with the same six
   facets as our page (countries, cities, months, kinds, performers, platforms); then the
   one city again and again. Datasette facets a table's own columns, so it reads a copy
   made as one would publish the archive there (`datasette_copy()`, in bench/out/): the
   published stories, a row each, with each story's countries, cities, performers and
   platforms as JSON arrays (`_facet_array=`) from our facet rows, its month and kind as
   columns (`_facet=`), and the stories' cities as a link table (`_through=`). Then, as
   earlier stops measured it, Datasette on our own file with the two facets the story
   table's columns allow (`_facet=kind`, `_facet_date=start_date`): less work than our
   page. Datasette keeps no page: each request runs its queries again.

wrk (Debian's `wrk`) runs bench/load.lua for `--duration` seconds (default 30) with
`--connections` (default 8) over two threads, each request a path drawn at random from the
list. Prints requests/s, latency and responses of 400 or more for each, each worker's share
of the CPU time the server spent (a run in which one worker did almost nothing is made
again: see LOPSIDED), and the load average. A benchmark, not a test; the servers' logs go
to bench/out/.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, closing
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
sys.path.insert(0, str(ROOT / "bench"))

from load import machine  # noqa: E402

CITIES = r"""
import json
from stories.models import City
print(json.dumps(list(City.objects.visible().order_by("slug").values_list("slug", "pk"))))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL", ""),
        help="the filled database (default: $DATABASE_URL)",
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per run (30)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--urls", type=int, default=20, help="URLs of each mix (20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--timeout", type=int, default=60, help="wrk's request timeout (s)")
    parser.add_argument("--no-datasette", action="store_true", help="skip Datasette")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    options = parser.parse_args()
    if not options.database:
        parser.error("give --database or set DATABASE_URL")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk).")
    OUT.mkdir(parents=True, exist_ok=True)
    sqlite = options.database.startswith("sqlite")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": options.database,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "throughput-benchmark-only"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }

    mix = draw_mix(options, env)
    cities = json.loads(django_shell(env, CITIES))
    random.Random(options.seed).shuffle(cities)
    write_paths("city-list", [f"/stories/?city={slug}" for slug, _ in cities])
    write_paths("city-one", [f"/stories/?city={cities[0][0]}"])
    collectstatic = [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"]
    subprocess.run(collectstatic, cwd=ROOT, env=env, check=True)
    base = f"http://127.0.0.1:{options.port}"
    ours = gunicorn_command(options, "archive.wsgi")
    with server(ours, env, "gunicorn"):
        wait_until_up(f"{base}/healthz")
        size = median_page_size(base, mix[:: options.urls])
    write_static_file(size)
    # A server of its own for each run (WhiteNoise lists STATIC_ROOT as a worker starts; a
    # sync worker finishes a slow page after wrk has gone, which would delay the next run).
    runs = [
        ("static", f"static file of {size:,} bytes"),
        ("city-list", f"our /stories/?city=<city> ({len(cities)} cities)"),
        ("city-one", f"our /stories/?city={cities[0][0]}, again and again"),
        ("mix", f"our pages, random mix ({len(mix)} URLs)"),
    ]
    rows = [measure(options, [ours], env, f"{base}/healthz", name, label) for name, label in runs]

    if sqlite and not options.no_datasette:
        path = str(ROOT / options.database.removeprefix("sqlite:///"))  # as dj-database-url
        copy = datasette_copy(path)
        write_paths("datasette", [datasette_path(copy.stem, pk) for _, pk in cities])
        write_paths("datasette-one", [datasette_path(copy.stem, cities[0][1])])
        write_paths(
            "datasette-two", [datasette_two_facets(Path(path).stem, pk) for _, pk in cities]
        )
        # One server a worker, on the same port, the kernel spreading the connections over
        # them (SO_REUSEPORT): see LOPSIDED.
        command = gunicorn_command(options, "bench.datasette_app:app", workers=1)
        command += ["--worker-class", "uvicorn.workers.UvicornWorker", "--reuse-port"]
        datasette_runs = [
            ("datasette", copy, f"Datasette, same filter, same facets ({len(cities)} cities)"),
            ("datasette-one", copy, f"Datasette, {cities[0][0]}, same facets, again and again"),
            (
                "datasette-two",
                path,
                f"Datasette, our file, kind and date facets only ({len(cities)} cities)",
            ),
        ]
        for name, served, label in datasette_runs:
            served_env = {**env, "BENCH_SQLITE": str(served)}
            commands = [command] * options.workers
            health = f"{base}/-/versions.json"
            rows.append(measure(options, commands, served_env, health, name, label))
    print(report(options, rows))


def draw_mix(options, env):
    listed = subprocess.run(
        [
            PYTHON,
            "bench/browse_at_scale.py",
            "--list-urls",
            "--urls",
            str(options.urls),
            "--seed",
            str(options.seed),
        ],
        cwd=ROOT,
        env={**env, "DJANGO_DEBUG": "1"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    write_paths("mix", listed)
    return listed


# A run in which one worker did less than this share of the work is made again, on fresh
# servers, up to TRIES times in all. An async worker (Datasette's uvicorn workers) accepts
# every connection waiting when it wakes: under one gunicorn, one of the two workers often
# took all eight of wrk's connections and did every request while the other idled, and
# Datasette's rate halved (486 requests in 10 s where its other runs made 1,196 to 1,261):
# it ranged from 47 to 121 requests/s between runs of the eighth stop. So Datasette runs as
# one server a worker, all on one port, among which the kernel spreads the connections
# (SO_REUSEPORT): five runs out of five balanced. Our sync workers take one request at a
# time.
LOPSIDED = 0.25
TRIES = 3


def measure(options, commands, env, health, name, label):
    """wrk's run of `name` against servers of its own started with `commands`, with each
    worker's share of the CPU time the servers spent (its `split`); made again while one
    worker did less than LOPSIDED of the work (see TRIES)."""
    base = f"http://127.0.0.1:{options.port}"
    for tries in range(1, TRIES + 1):
        with ExitStack() as stack:
            masters = [stack.enter_context(server(command, env, name)).pid for command in commands]
            wait_until_up(health)
            before = worker_seconds(masters)
            row = run_wrk(options, base, name, label)
            row["split"] = shares(before, worker_seconds(masters))
        row["tries"] = tries
        if len(row["split"]) < 2 or min(row["split"]) >= LOPSIDED:
            break
        print(f"  one worker did {max(row['split']):.0%} of the work: again", file=sys.stderr)
    return row


def worker_seconds(masters):
    """{pid: CPU seconds, its threads' included} of each child of the processes `masters`
    (the servers' workers), from /proc (Linux)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's name in brackets: state, parent's pid, ..., the user and
            # system CPU times in clock ticks (fields 14 and 15 of proc(5)).
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # (a process that ended meanwhile)
            continue
        if int(fields[1]) in masters:
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def shares(before, after):
    """Each worker's share of the CPU time the workers spent between `before` and `after`
    (worker_seconds()), largest first."""
    spent = [after[pid] - before.get(pid, 0) for pid in after]
    total = sum(spent)
    return sorted((seconds / total for seconds in spent), reverse=True) if total else []


def wait_until_up(url, seconds=120):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=30).read()
            return
        except OSError:  # refused until the server listens
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def django_shell(env, code):
    found = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip().splitlines()[-1]


def write_paths(name, paths):
    (OUT / f"{name}.txt").write_text("".join(f"{path}\n" for path in paths))


def gunicorn_command(options, app, workers=None):
    return [
        str(BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{options.port}",
        "--workers",
        str(workers or options.workers),
        "--timeout",
        str(options.timeout),
        "--log-level",
        "warning",
    ]


class server:
    """A server process for the `with` block, stopped (SIGTERM) at its end."""

    def __init__(self, command, env, name):
        self.command, self.env, self.name = command, env, name

    def __enter__(self):
        self.log = open(OUT / f"{self.name}.log", "a")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        return self.process

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()


def median_page_size(base, paths):
    """The median body size of `paths` (the first URL of each mix)."""
    sizes = []
    for path in paths:
        try:
            sizes.append(len(urllib.request.urlopen(base + path, timeout=120).read()))
        except urllib.error.HTTPError as error:
            print(f"{error.code} {path}", file=sys.stderr)
    sizes.sort()
    return sizes[len(sizes) // 2]


def write_static_file(size):
    """A file of `size` bytes of HTML-like text in STATIC_ROOT; its URL path."""
    folder = ROOT / "staticfiles" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    line = b"<p>Synthetic page of the throughput benchmark, sized as the median page.</p>\n"
    body = (line * (size // len(line) + 1))[:size]
    (folder / "page.html").write_bytes(body)
    write_paths("static", ["/static/bench/page.html"])
    return "/static/bench/page.html"


# The copy of the archive Datasette reads (see the docstring, step 4): arrays of the names
# each facet counts, from the facet rows (stories/facts.py), as our page counts them.
DATASETTE_COPY = """
CREATE TABLE stories (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, slug TEXT NOT NULL, summary TEXT NOT NULL,
    kind TEXT NOT NULL, start_date TEXT, end_date TEXT, month TEXT,
    countries TEXT NOT NULL, cities TEXT NOT NULL, performers TEXT NOT NULL,
    platforms TEXT NOT NULL
);
INSERT INTO stories
SELECT s.id, s.title, s.slug, s.summary, s.kind, s.start_date, s.end_date,
    substr(s.start_date, 1, 7),
    (SELECT json_group_array(c.name) FROM archive.stories_storyfacet f
        JOIN archive.stories_country c ON c.id = CAST(f.key AS INTEGER)
        WHERE f.story_id = s.id AND f.facet = 'country'),
    (SELECT json_group_array(c.name || ', ' || o.name) FROM archive.stories_storyfacet f
        JOIN archive.stories_city c ON c.id = CAST(f.key AS INTEGER)
        JOIN archive.stories_country o ON o.id = c.country_id
        WHERE f.story_id = s.id AND f.facet = 'city'),
    (SELECT json_group_array(p.name) FROM archive.stories_storyfacet f
        JOIN archive.stories_performer p ON p.id = CAST(f.key AS INTEGER)
        WHERE f.story_id = s.id AND f.facet = 'performer'),
    (SELECT json_group_array(f.key) FROM archive.stories_storyfacet f
        WHERE f.story_id = s.id AND f.facet = 'platform')
FROM archive.stories_story s WHERE s.status = 'published';
CREATE INDEX stories_start_date ON stories (start_date);
CREATE TABLE story_cities (
    story_id INTEGER NOT NULL REFERENCES stories (id),
    city_id INTEGER NOT NULL,
    PRIMARY KEY (story_id, city_id)
);
INSERT INTO story_cities
SELECT story_id, city_id FROM archive.stories_story_cities
WHERE story_id IN (SELECT id FROM stories);
CREATE INDEX story_cities_city ON story_cities (city_id, story_id);
ANALYZE;
"""


def datasette_copy(path):
    """bench/out/datasette_<name>.sqlite3: the archive at `path` as Datasette can facet it
    (DATASETTE_COPY), made afresh."""
    copy = OUT / f"datasette_{Path(path).stem.replace('-', '_')}.sqlite3"
    copy.unlink(missing_ok=True)
    with closing(sqlite3.connect(copy)) as database:
        database.execute("ATTACH DATABASE ? AS archive", (path,))
        database.executescript(DATASETTE_COPY)
        database.commit()
    return copy


def datasette_path(db, city_pk):
    """Our /stories/?city=<city> asked of Datasette's copy: the published stories linked to
    the city, newest event first, 20 a page, with our page's six facets."""
    query = urlencode(
        [
            (
                "_through",
                json.dumps({"table": "story_cities", "column": "city_id", "value": str(city_pk)}),
            ),
            ("_sort_desc", "start_date"),
            ("_size", "20"),
            ("_facet_array", "countries"),
            ("_facet_array", "cities"),
            ("_facet", "month"),
            ("_facet", "kind"),
            ("_facet_array", "performers"),
            ("_facet_array", "platforms"),
        ]
    )
    return f"/{db}/stories?{query}"


def datasette_two_facets(db, city_pk):
    """The same asked of Datasette on our own file: the published stories linked to the city
    through stories_story_cities, newest event first, 20 a page, faceted by kind and date
    (the two facets the story table's own columns allow)."""
    query = urlencode(
        [
            # Not status__exact=published: Datasette 0.65 names that parameter p0, as it
            # does _through's, and the page comes back empty.
            ("_where", "status = 'published'"),
            (
                "_through",
                json.dumps(
                    {"table": "stories_story_cities", "column": "city_id", "value": str(city_pk)}
                ),
            ),
            ("_sort_desc", "start_date"),
            ("_size", "20"),
            ("_facet", "kind"),
            ("_facet_date", "start_date"),
        ]
    )
    return f"/{db}/stories_story?{query}"


def run_wrk(options, base, name, label):
    command = [
        "wrk",
        "-t2",
        f"-c{options.connections}",
        f"-d{options.duration}s",
        f"--timeout={options.timeout}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "load.lua"),
        base,
        "--",
        str(OUT / f"{name}.txt"),
    ]
    print(f"  {label}: wrk for {options.duration} s", file=sys.stderr)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["label"] = label
    result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    result["load"] = os.getloadavg()[0]
    return result


def report(options, rows):
    titles = [
        "what",
        "requests/s",
        "requests",
        "p50 ms",
        "p99 ms",
        "errors",
        "workers' CPU %",
        "load",
    ]
    cells = []
    for row in rows:
        errors = sum(row[k] for k in ("connect", "read", "write", "timeout"))
        bad = ", ".join(f"{n} × {status}" for status, n in sorted(row["bad"].items()))
        cells.append(
            [
                row["label"],
                f"{row['requests_per_s']:,.1f}",
                f"{row['requests']:,}",
                f"{row['p50_us'] / 1000:,.0f}",
                f"{row['p99_us'] / 1000:,.0f}",
                ", ".join(filter(None, [f"{errors} socket" if errors else "", bad])) or "0",
                split(row),
                f"{row['load']:.1f}",
            ]
        )
    if options.markdown:
        lines = ["| " + " | ".join(titles) + " |", "| --- |" + " ---: |" * (len(titles) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
    else:
        widths = [max(len(r[i]) for r in [titles, *cells]) for i in range(len(titles))]
        lines = []
        for row in [titles, *cells]:
            right = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
            lines.append("  ".join([row[0].ljust(widths[0]), *right[1:]]))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{machine()}; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; load average "
        f"{load}; wrk -t2 -c{options.connections} -d{options.duration}s; gunicorn "
        f"--workers {options.workers}; workers' CPU: each worker's share of the server's CPU time "
        f"in the run; the load column: 1-minute load as each run ended\n\n" + "\n".join(lines)
    )


def split(row):
    """The workers' shares of the run's CPU time, as "51 / 49", and the tries it took."""
    text = " / ".join(f"{share:.0%}".removesuffix("%") for share in row["split"]) or "?"
    return text if row["tries"] == 1 else f"{text} ({row['tries']} tries)"


if __name__ == "__main__":
    main()
