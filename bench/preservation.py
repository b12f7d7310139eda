"""capture_posts, check_links, and an archive with its copies exported and loaded, at 10x
and 100x: time and memory against a local server.

    .venv/bin/python bench/preservation.py [--posts 100 1000 10000] [--markdown]

For each size: a fresh SQLite database in a temporary folder (migrated), that many stories of
one post each whose address and media link point at a local web server (tests/sites.py: a
small page and a 3 KB JPEG with location data), then `check_links` and `capture_posts` as
subprocesses (`--per-host 100000 --concurrency 8`: the local server is the only host, and
politeness is not what is measured), timed with their peak memory (`/usr/bin/time -v`).
Then `export_archive` (the records and the copies' files beside them) and `load_archive`
of that export into a second fresh database and copies folder, timed the same way.
A benchmark, not a test; the copies go to the temporary folder.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import machine  # noqa: E402

from tests.sites import serving  # noqa: E402

FILL = """
from stories.models import LinkedPost, Story
import datetime, sys
n, base = int(sys.argv[1]), sys.argv[2]
stories = Story.objects.bulk_create(
    Story(title=f"Story {i}", slug=f"story-{i}", status="published",
          published_at=datetime.datetime(2020, 4, 1, tzinfo=datetime.UTC))
    for i in range(n)
)
LinkedPost.objects.bulk_create(
    LinkedPost(story=s, position=1, url=f"{base}/ok?post={i}", media_url=f"{base}/photo.jpg?p={i}")
    for i, s in enumerate(stories)
)
"""


def migrate(env):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def run(command, env):
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.monotonic() - started
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    return seconds, peak // 1024, result.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args()
    rows = []
    with serving() as site:
        for posts in options.posts:
            with tempfile.TemporaryDirectory() as folder:
                env = {
                    **os.environ,
                    "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                    "COPIES_ROOT": f"{folder}/copies",
                    "DJANGO_DEBUG": "1",
                }
                migrate(env)
                subprocess.run(
                    [
                        sys.executable,
                        "manage.py",
                        "shell",
                        "-v",
                        "0",
                        "-c",
                        f"import sys; sys.argv = ['', '{posts}', '{site.base}']\n{FILL}",
                    ],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                fast = ["--per-host", "100000", "--concurrency", "8"]
                for command in (["check_links", *fast], ["capture_posts", *fast]):
                    seconds, peak, said = run(command, env)
                    addresses = 2 * posts
                    rows.append(
                        (command[0], posts, addresses, seconds, addresses / seconds, peak, said)
                    )
                archive = f"{folder}/archive.jsonl"
                elsewhere = {
                    **env,
                    "DATABASE_URL": f"sqlite:///{folder}/elsewhere.sqlite3",
                    "COPIES_ROOT": f"{folder}/elsewhere-copies",
                }
                migrate(elsewhere)
                for command, command_env in (
                    (["export_archive", archive], env),
                    (["load_archive", archive], elsewhere),
                ):
                    seconds, peak, said = run(command, command_env)
                    files = sum(
                        1 for p in Path(f"{folder}/archive.files").rglob("*") if p.is_file()
                    )
                    rows.append((command[0], posts, files, seconds, files / seconds, peak, said))
    # "addresses": fetched by check_links and capture_posts; for the archive commands, the
    # files in the archive's folder (each copy's file and any public derivative, and the
    # manifest).
    header = ["command", "posts", "addresses or files", "seconds", "per second", "peak MB"]
    if options.markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join(["---"] + ["---:"] * 5) + " |")
        for command, posts, addresses, seconds, rate, peak, _ in rows:
            print(
                f"| `{command}` | {posts:,} | {addresses:,} | {seconds:.1f} | {rate:.0f} | {peak} |"
            )
    else:
        for row in rows:
            print(*row[:-1], row[-1], sep="\t")
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
