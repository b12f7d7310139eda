"""Times the garbage collector's passes during cold requests, with and without the freeze
of archive/collector.py; prints one table (issue 11).

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/scale1m_facts \\
        .venv/bin/python bench/collector.py --requests 12 /map/ /stories/?q=balcony

Each URL is requested `--requests` times, every Django cache cleared before each request,
in one process without the freeze and then in a fresh process with it (a freeze cannot be
undone). `gc.callbacks` times every pass by generation; the table gives, per URL and
setting, the requests' median time, the passes of the oldest generation (the full ones)
and their total and longest time. Not a test.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(urls, requests, freeze):
    """In this process: {url: {"ms": [...], "full": [ms of each full pass]}}."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # (static names without a manifest)
    import gc
    import logging
    import time

    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client
    from django.test.utils import setup_test_environment

    from archive import collector

    setup_test_environment()  # (the test client's host allowed, as in browse_at_scale.py)

    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    client = Client()
    if freeze:
        collector.freeze_after_first_request()
    client.get("/")  # (the process's first request: imports, templates, the freeze)
    full = []
    started = {}

    def timed(phase, info):
        if phase == "start":
            started["at"] = time.perf_counter()
        elif info["generation"] == 2:
            full.append((time.perf_counter() - started["at"]) * 1000)

    gc.callbacks.append(timed)
    found = {}
    for url in urls:
        times, passes = [], []
        for _ in range(requests):
            for cache in caches.all():
                cache.clear()
            del full[:]
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            passes.extend(full)
        found[url] = {"ms": times, "full": passes}
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--child", choices=["frozen", "plain"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        found = measure(options.urls, options.requests, options.child == "frozen")
        print(json.dumps(found))
        return
    print("| URL | collector | requests | median ms | full passes | their ms | longest ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for setting in ("plain", "frozen"):
        command = [sys.executable, __file__, "--child", setting, "--requests"]
        command += [str(options.requests), *options.urls]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        found = json.loads(result.stdout.strip().splitlines()[-1])
        for url, row in found.items():
            passes = row["full"]
            print(
                f"| `{url}` | {setting} | {len(row['ms'])} | {statistics.median(row['ms']):.0f} "
                f"| {len(passes)} | {sum(passes):.0f} | {max(passes, default=0):.0f} |"
            )


if __name__ == "__main__":
    main()
