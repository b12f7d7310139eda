"""Naming both lines of a record that repeats a unique key, whichever way the database found it.

A loaded row's primary key is its line, and a many-to-many row's first column is the line of
the record that lists it, so the lines of a duplicate can be read back from the rows:

- on PostgreSQL the load drops the unique constraints and indexes and rebuilds them after the
  last line; when one cannot be rebuilt, `first_duplicate()` finds, in the rows loaded, the
  key whose second occurrence comes first in the file (window functions: one sort, no index
  needed);
- on SQLite the constraints hold during the load and a batch is refused; `duplicate_in_batch()`
  inserts the batch again a row at a time to find the row refused, then the row it repeats.
"""

import re

from django.db import DatabaseError, connection, transaction

from stories.interchange.archive import ARCHIVE_MODELS, LoadError, archived_m2m, label

# "UNIQUE (slug)" or "CREATE UNIQUE INDEX name ON public.t USING btree (url) WHERE (...)"
COLUMNS = re.compile(r"\(([^()]*)\)")
INDEX = re.compile(
    r"ON (?:ONLY )?(?P<table>\S+) USING \w+ \((?P<columns>[^()]*)\)(?: WHERE (?P<where>.*))?$"
)
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.*)$")


def tables():
    """{table: (what its rows are called, the column holding the line of each row)}."""
    found = {}
    for model in ARCHIVE_MODELS:
        found[model._meta.db_table] = (label(model), model._meta.pk.column)
        for field in archived_m2m(model):
            through = field.remote_field.through
            found[through._meta.db_table] = (
                f"{label(model)}.{field.name}",
                field.m2m_column_name(),
            )
    return found


def bare(name):
    """A table or column name without schema or quotes."""
    return name.rsplit(".", 1)[-1].strip().strip('"')


def first_duplicate(table, columns, where=None):
    """(first line, second line, values) of the key in `columns` whose second occurrence
    comes first, or None; `where` limits the rows as a partial unique index does."""
    called, line_column = tables()[table]
    quote = connection.ops.quote_name
    keys = ", ".join(quote(c) for c in columns)
    line = quote(line_column)
    sql = (
        f"SELECT first, line, {keys} FROM ("
        f"SELECT {line} AS line, {keys}, min({line}) OVER w AS first, "
        f"row_number() OVER (w ORDER BY {line}) AS n "
        f"FROM {quote(table)} {f'WHERE {where}' if where else ''} "
        f"WINDOW w AS (PARTITION BY {keys})) AS rows "
        "WHERE n = 2 ORDER BY line LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], row[1], dict(zip(columns, row[2:], strict=True))


def refusal(called, first, second, values):
    key = ", ".join(f"{name} {value!r}" for name, value in values.items())
    if first == second:
        return LoadError(second, f"{called} lists the same entry twice ({key})")
    return LoadError(
        second, f"a second {called} with {key}: the first is on line {first}; keys are unique"
    )


def rebuild(cursor, table, statement):
    """Run a statement that rebuilds a unique constraint or index of `table` (PostgreSQL),
    in a savepoint; if the rows break it, raise a LoadError naming both lines of the first
    duplicate, and otherwise re-raise the database's error."""
    savepoint = transaction.savepoint()
    try:
        cursor.execute(statement)
    except DatabaseError:
        transaction.savepoint_rollback(savepoint)
        table = bare(table)
        if table not in tables():
            raise
        where = None
        if index := INDEX.search(statement):
            columns, where = index["columns"], index["where"]
        elif "UNIQUE" in statement and (match := COLUMNS.search(statement.split("UNIQUE", 1)[1])):
            columns = match[1]
        else:
            raise
        found = first_duplicate(table, [bare(c) for c in columns.split(",")], where)
        if found is None:
            raise
        raise refusal(tables()[table][0], *found) from None
    else:
        transaction.savepoint_commit(savepoint)


def duplicate_in_batch(buffer, rows, lines, insert):
    """On SQLite, after `insert(buffer, rows)` failed: the LoadError naming both lines of the
    duplicate the batch holds, or None when the failure was something else."""
    table = buffer.table
    if table not in tables():
        return None
    called, line_column = tables()[table]
    line_index = buffer.columns.index(line_column)
    for number, row in enumerate(rows):
        savepoint = transaction.savepoint()
        try:
            insert(buffer, [row])
        except DatabaseError as exc:
            transaction.savepoint_rollback(savepoint)
            unique = SQLITE_UNIQUE.search(str(exc))
            if not unique:
                return None
            columns = [bare(c) for c in unique["columns"].split(",")]
            values = {c: row[buffer.columns.index(c)] for c in columns}
            quote = connection.ops.quote_name
            condition = " AND ".join(f"{quote(c)} = %s" for c in columns)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT min({quote(line_column)}) FROM {quote(table)} WHERE {condition}",
                    list(values.values()),
                )
                first = cursor.fetchone()[0]
            second = row[line_index] if buffer.pairs else lines[number]
            if first is None:
                return None
            return refusal(called, first, second, values)
        else:
            transaction.savepoint_commit(savepoint)
    return None
