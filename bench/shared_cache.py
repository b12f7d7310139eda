"""The shared cache between two gunicorns, and what a frozen Redis costs (docs/benchmarks.md).

    DATABASE_URL=sqlite:////tmp/big.sqlite3 .venv/bin/python bench/shared_cache.py \\
        --redis-port 6391 --redis-db 7

The database must be migrated and filled (generate_archive); Redis must be running on the
port (this script freezes it with SIGSTOP, so give it one of your own: its pid is read from
`redis-cli info server`). Two gunicorns (one sync worker each, DEBUG off) are started with
local-memory caches, then with CACHE_URL, and each URL is asked of the first, then of the
second (its first request of that URL), then of the second again. Then, with Redis, an
uncached /cities/ is timed with Redis up, frozen (the first request waits for the socket
timeout) and frozen during the pause. Times are curl-like: one HTTP request, client side.
"""

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URLS = ["/stories/", "/stories/?city=florence", "/cities/", "/map/"]


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - start


def redis_cli(port, db, *args):
    return subprocess.run(
        ["redis-cli", "-p", str(port), "-n", str(db), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def serve(env, folder):
    """Two gunicorns on kernel-chosen ports; returns (processes, ports)."""
    processes, ports = [], []
    for _ in range(2):
        listener = socket.create_server(("127.0.0.1", 0))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "archive.wsgi",
                    "--workers",
                    "1",
                    "--bind",
                    f"fd://{listener.fileno()}",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=ROOT,
                pass_fds=[listener.fileno()],
            )  # fmt: skip
        )
        ports.append(listener.getsockname()[1])
        listener.close()
    for port in ports:
        assert get(port, "/healthz")[0] == 200
    return processes, ports


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--redis-db", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-shared-cache-"))
    # Static files unhashed, as in the tests: no collectstatic needed.
    (folder / "bench_settings.py").write_text(
        "from archive.settings import *  # noqa: F403\n"
        "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': "  # noqa: F405
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DJANGO_SECRET_KEY": "bench",
        "DJANGO_DEBUG": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)]),
    }
    cache_url = f"redis://127.0.0.1:{args.redis_port}/{args.redis_db}"
    info = redis_cli(args.redis_port, args.redis_db, "info", "server")
    redis_pid = int(info.split("process_id:")[1].split()[0])
    print("| cache | URL | first server | second server, first time | second server, again |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, url in (("local memory", ""), ("Redis", cache_url)):
        redis_cli(args.redis_port, args.redis_db, "flushdb")
        processes, (first, second) = serve({**base, "CACHE_URL": url}, folder)
        try:
            for path in URLS:
                times = [get(first, path), get(second, path), get(second, path)]
                assert all(status == 200 for status, _ in times), times
                cells = " | ".join(f"{seconds * 1000:.0f} ms" for _, seconds in times)
                print(f"| {name} | `{path}` | {cells} |")
            if url:
                frozen_rows = []
                for _ in range(3):
                    redis_cli(args.redis_port, args.redis_db, "flushdb")
                    up = get(first, "/cities/")[1]
                    redis_cli(args.redis_port, args.redis_db, "flushdb")
                    os.kill(redis_pid, signal.SIGSTOP)
                    try:
                        frozen = get(first, "/cities/")[1]
                        paused = get(first, "/cities/")[1]
                    finally:
                        os.kill(redis_pid, signal.SIGCONT)
                    frozen_rows.append((up, frozen, paused))
                    time.sleep(11)  # past the pause, so the next round finds Redis again
        finally:
            for process in processes:
                process.terminate()
                process.wait()
    print()
    print("| uncached `/cities/` | Redis up | Redis frozen, first request | frozen, in the pause |")
    print("| --- | ---: | ---: | ---: |")
    for number, row in enumerate(frozen_rows, 1):
        cells = " | ".join(f"{seconds * 1000:.0f} ms" for seconds in row)
        print(f"| round {number} | {cells} |")


if __name__ == "__main__":
    main()
