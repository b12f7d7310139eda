"""Datasette as an ASGI app for bench/throughput.py, read-only on the SQLite file BENCH_SQLITE.

    BENCH_SQLITE=/work/sqlite-100k.sqlite3 gunicorn bench.datasette_app:app \\
        --worker-class uvicorn.workers.UvicornWorker --workers 2

Datasette's own settings but for suggested facets, which our pages do not offer either.
"""

import os

from datasette.app import Datasette

app = Datasette(immutables=[os.environ["BENCH_SQLITE"]], settings={"suggest_facets": False}).app()
