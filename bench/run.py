"""Benchmarks of the bulk data path; prints a table (Markdown) and writes bench/out/results.json.

    .venv/bin/python bench/run.py --stories 100000 --big 1000000 \\
        --postgres postgres://postgres@127.0.0.1:5432/postgres

1. load_archive against loaddata on the same N-story archive, on SQLite and (with
   --postgres) on PostgreSQL, each into a freshly migrated database: wall time, peak
   resident memory and the ratio, measured in this one run.
2. With --postgres and --big M: load_archive of an M-story archive into PostgreSQL, then
   export_archive of it, each with wall time and peak memory, and whether the export is
   byte for byte the file loaded.

Each measured command runs as its own process with DEBUG off; its peak memory is the
largest total, sampled ten times a second, of the memory it and its worker processes hold
(PSS, so pages the workers share with it count once). Archives are made once with generate_archive
(seed 1) and kept in bench/out/ (git ignores it). These are benchmarks, not tests: a small
run (--stories 2000 --big 5000) checks they still work.
"""

import argparse
import filecmp
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000, help="loaddata comparison size")
    parser.add_argument("--big", type=int, default=0, help="PostgreSQL-only load/export size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="URL of a PostgreSQL server whose role may create databases "
        "(default: $BENCH_POSTGRES_URL); without it only SQLite is measured",
    )
    parser.add_argument("--skip-loaddata", action="store_true", help="measure load_archive only")
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    rows = []
    archive = generate(options.stories, options.seed)
    fixture = as_fixture(archive)
    databases = [("SQLite", sqlite_database)]
    if options.postgres:
        databases.append(("PostgreSQL", lambda name: postgres_database(options.postgres, name)))
    for engine, make_database in databases:
        load = measure("load_archive", archive, make_database("bench_load"))
        rows.append(row(engine, "load_archive", options.stories, load))
        if not options.skip_loaddata:
            loaddata = measure("loaddata", fixture, make_database("bench_loaddata"))
            rows.append(row(engine, "loaddata", options.stories, loaddata))
            rows[-2]["ratio"] = round(loaddata["seconds"] / load["seconds"], 1)
    if options.postgres and options.big:
        big = generate(options.big, options.seed)
        url = postgres_database(options.postgres, "bench_big")
        rows.append(
            row("PostgreSQL", "load_archive", options.big, measure("load_archive", big, url))
        )
        exported = OUT / f"export-{options.big}.jsonl"
        result = measure("export_archive", exported, url)
        result["identical"] = filecmp.cmp(big, exported, shallow=False)
        rows.append(row("PostgreSQL", "export_archive", options.big, result))

    report = {"machine": machine(options.postgres), "command": " ".join(sys.argv), "rows": rows}
    (OUT / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


def generate(stories, seed):
    path = OUT / f"archive-{stories}-seed{seed}.jsonl"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        partial = path.with_suffix(".partial")
        manage(["generate_archive", f"--stories={stories}", f"--seed={seed}", "--output", partial])
        partial.rename(path)
    return path


def as_fixture(archive):
    """The same records as a loaddata fixture: the record shape is Django's own (natural
    keys, no primary keys), so the lines only need to become one JSON array."""
    path = archive.with_name(archive.stem + ".fixture.json")
    if not path.exists():
        with archive.open(encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
            next(lines)  # the header is ours, not Django's
            out.write("[\n")
            for number, line in enumerate(lines):
                out.write((",\n" if number else "") + line.rstrip("\n"))
            out.write("\n]\n")
    return path


def sqlite_database(name):
    path = OUT / f"{name}.sqlite3"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    manage(["migrate", "--no-input", "-v0"], url)
    return url


def postgres_database(server_url, name):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    manage(["migrate", "--no-input", "-v0"], url)
    return url


def environment(database_url=None):
    env = dict(os.environ, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="benchmarks-only")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(arguments, database_url=None):
    command = [PYTHON, str(ROOT / "manage.py"), *map(str, arguments)]
    subprocess.run(command, check=True, env=environment(database_url), stdout=subprocess.DEVNULL)


def measure(command, path, database_url, count_statements=False):
    """Run one manage.py command as a child process: wall seconds, and its peak memory in MB
    as the largest sum of the proportional set sizes (PSS) of the process and its workers,
    sampled ten times a second; with the seconds its own output gives for the load (until
    the archive is committed) and for the search index filled after it, where it gives them;
    with `count_statements`, the number of SQL statements it sent (bench/count_statements.py
    runs it)."""
    arguments = [PYTHON, str(ROOT / "manage.py"), command, str(path)]
    if count_statements:
        arguments.insert(1, str(ROOT / "bench" / "count_statements.py"))
    if command == "loaddata":
        arguments.append("-v0")
    print(f"{command} {path.name} into {database_url.split('/')[-1]} ...", file=sys.stderr)
    started = time.monotonic()
    child = subprocess.Popen(
        arguments, env=environment(database_url), stdout=subprocess.PIPE, text=True
    )
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_pss(child.pid))
        time.sleep(0.1)
    seconds = time.monotonic() - started
    output = child.stdout.read()
    if child.returncode:
        raise SystemExit(f"{command} failed with exit code {child.returncode}")
    result = {"seconds": round(seconds, 1), "peak_mb": round(peak / 1024)}
    if loaded := re.search(r"^Loaded .* in ([\d.]+) s", output, re.MULTILINE):
        result["loaded_seconds"] = float(loaded[1])
    if counted := re.search(r"^SQL statements: (\d+)$", output, re.MULTILINE):
        result["statements"] = int(counted[1])
    if indexed := re.search(r"^Search index: .* in ([\d.]+) s", output, re.MULTILINE):
        result["search_seconds"] = float(indexed[1])
    return result


def tree_pss(pid):
    """Kilobytes of memory a process and its descendants hold (PSS: shared pages split)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return total  # it has just ended
    return total + sum(tree_pss(int(child)) for child in children)


def row(engine, command, stories, result):
    return {"database": engine, "command": command, "stories": stories, **result}


def machine(postgres_url):
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    facts = {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if postgres_url:
        import psycopg

        with psycopg.connect(postgres_url) as conn:
            facts["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return facts


def table(report):
    lines = [
        "| database | command | stories | wall time (s) | peak memory (MB) | notes |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in report["rows"]:
        notes = []
        if "ratio" in r:
            notes.append(f"{r['ratio']}× faster than loaddata")
        if "loaded_seconds" in r and "search_seconds" in r:
            notes.append(
                f"archive committed at {r['loaded_seconds']} s, then search index "
                f"{r['search_seconds']} s"
            )
        if "identical" in r:
            notes.append("identical bytes" if r["identical"] else "DIFFERENT bytes")
        lines.append(
            f"| {r['database']} | {r['command']} | {r['stories']:,} | {r['seconds']} "
            f"| {r['peak_mb']} | {'; '.join(notes)} |"
        )
    facts = ", ".join(f"{k}: {v}" for k, v in report["machine"].items())
    return "\n".join([f"Machine: {facts}", f"Command: {report['command']}", "", *lines])


if __name__ == "__main__":
    main()
