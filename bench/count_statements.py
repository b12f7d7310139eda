"""Runs manage.py as it would run itself and, when it ends, prints how many SQL statements
it sent, as the line "SQL statements: N" (savepoints and their releases count too).

    .venv/bin/python bench/count_statements.py manage.py import_article FILE

For the benchmarks (bench/import_article.py): the count is taken in the measured process
itself, by a wrapper on each database connection (one function call a statement).
"""

import atexit
import runpy
import sys
from pathlib import Path

from django.db.backends.signals import connection_created

statements = 0


def count(execute, sql, params, many, context):
    global statements
    statements += 1
    return execute(sql, params, many, context)


def install(sender, connection, **kwargs):
    connection.execute_wrappers.append(count)


def main():
    script = Path(sys.argv[1]).resolve()
    sys.argv = sys.argv[1:]
    sys.path[0] = str(script.parent)  # the project's code, as when manage.py runs itself
    connection_created.connect(install)
    atexit.register(lambda: print(f"SQL statements: {statements}", flush=True))
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
