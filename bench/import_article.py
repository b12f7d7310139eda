"""Benchmark of import_article: wall and CPU time, SQL statements and peak memory by article
size; prints a table (Markdown) and writes bench/out/import_article.json.

    .venv/bin/python bench/import_article.py --copies 1 10 100 --megabytes 1 5 \\
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]

The articles are the seed article (tests/articles/article-2020-03-16.txt) repeated: copy k
keeps the prose and gives each embedded post its own handle and media link, so every copy
adds new stories and posts rather than posts already archived. --copies N makes N copies,
--megabytes M as many copies as fit in M MB (1 MB = 2**20 bytes, the importer's limit is
counted the same way). Wall time and CPU time (user and system, of the import's process)
are both given: on a shared machine the wall time also counts waiting for a core (the load
average at the end of each import is in the table). The SQL statements are counted in the
import's process (bench/count_statements.py). Each import is cold: its own process
(DEBUG off) into a freshly migrated database, so the gazetteer is read and nothing is
cached. The importer refuses files over its limit (ingest.MAX_ARTICLE_BYTES); an article of
exactly the limit is still imported, so `--megabytes 5` measures the largest one accepted.
"""

import argparse
import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import OUT, ROOT, machine, measure, postgres_database, sqlite_database  # noqa: E402

SEED = ROOT / "tests" / "articles" / "article-2020-03-16.txt"


def article_copy(body, number):
    """The seed article's body with its handles and media links made unique to copy `number`."""
    if number == 0:
        return body
    body = body.replace("pic.twitter.com/", f"pic.twitter.com/c{number}x")
    for handle in ("MuhammadLila", "dschmudde", "AndrewArruda", "Modernstudies_"):
        body = body.replace(f"(@{handle})", f"(@{handle[:40]}{number})")
    return body


def build_article(copies=None, limit_bytes=None):
    """The text of an article of `copies` copies of the seed, or of as many as fit in
    `limit_bytes` bytes."""
    prefix = " date 2020-03-16 "
    body = SEED.read_text(encoding="utf-8").removeprefix(prefix).strip()
    parts = [prefix]
    size = len(prefix.encode())
    number = 0
    while True:
        part = article_copy(body, number) + "\n\n"
        part_size = len(part.encode())
        if copies is not None and number >= copies:
            break
        if limit_bytes is not None and size + part_size > limit_bytes:
            break
        parts.append(part)
        size += part_size
        number += 1
    return "".join(parts), number


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="*", default=[1, 10, 100])
    parser.add_argument("--megabytes", type=float, nargs="*", default=[1, 5])
    parser.add_argument(
        "--postgres",
        default="",
        help="URL of a PostgreSQL server whose role may create databases; "
        "without it only SQLite is measured",
    )
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    articles = []
    for copies in options.copies:
        articles.append(build_article(copies=copies))
    for megabytes in options.megabytes:
        articles.append(build_article(limit_bytes=int(megabytes * 2**20)))
    databases = [("SQLite", sqlite_database)]
    if options.postgres:
        databases.append(("PostgreSQL", lambda name: postgres_database(options.postgres, name)))

    rows = []
    for text, copies in articles:
        path = OUT / f"article-{copies}x.txt"
        path.write_text(text, encoding="utf-8")
        for engine, make_database in databases:
            url = make_database("bench_import")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = measure("import_article", path, url, count_statements=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            result["cpu_seconds"] = round(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
            )
            result["load_average"] = round(os.getloadavg()[0], 1)
            stories = count_stories(url)
            rows.append(
                {
                    "database": engine,
                    "copies": copies,
                    "bytes": path.stat().st_size,
                    "stories": stories,
                    **result,
                }
            )
            print(rows[-1], file=sys.stderr)
    report = {"machine": machine(options.postgres), "command": " ".join(sys.argv), "rows": rows}
    (OUT / "import_article.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


def count_stories(url):
    import subprocess

    from run import PYTHON, environment

    script = "from stories.models import Story; print(Story.objects.count())"
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "shell", "-c", script],
        env=environment(url),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


def table(report):
    lines = [
        "| database | copies | size (KB) | stories | wall time (s) | CPU time (s) "
        "| SQL statements | peak memory (MB) | load average |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['database']} | {r['copies']:,} | {r['bytes'] / 1024:,.0f} | {r['stories']:,} "
            f"| {r['seconds']} | {r['cpu_seconds']} | {r['statements']:,} | {r['peak_mb']} "
            f"| {r['load_average']} |"
        )
    facts = ", ".join(f"{k}: {v}" for k, v in report["machine"].items())
    return "\n".join([f"Machine: {facts}", f"Command: {report['command']}", "", *lines])


if __name__ == "__main__":
    main()
