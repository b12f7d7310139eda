"""Rows to PostgreSQL through COPY: the text format, and a writer thread.

COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"):
one line a row, columns separated by tabs, NULL as \\N, and backslash, tab, newline and
carriage return escaped with a backslash. It is written here for the kinds of value the
loaders produce (`stories.interchange.loaders`), in the main process and in the workers alike.
"""

import datetime
import decimal
import queue
import re
import threading

from stories.interchange.archive import LoadError

COPY_LINE = re.compile(r"COPY \S+, line (\d+)")
NULL = "\\N"


def escape(text):
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t")
        return text.replace("\n", "\\n").replace("\r", "\\r")
    return text


def unspellable(value):
    raise TypeError(f"no COPY spelling for {type(value).__name__} {value!r}")


# How each kind of value the loaders produce is spelled, other than text and None.
# Timestamps carry their offset, so the session's time zone does not matter. None of these
# spellings holds a character COPY escapes (NULL's backslash is counted in `copy_line`).
SPELLINGS = {
    int: int.__str__,
    bool: lambda value: "t" if value else "f",
    datetime.date: datetime.date.isoformat,
    datetime.datetime: lambda value: value.isoformat(" "),
    decimal.Decimal: decimal.Decimal.__str__,
}


def copy_line(row):
    """One row as a line of COPY text, without its newline. Text is escaped only when the
    line shows it needs to be: more tabs or backslashes than the columns and NULLs put there,
    or a line break."""
    spellings = SPELLINGS
    parts = [
        value
        if type(value) is str
        else NULL
        if value is None
        else spellings.get(type(value), unspellable)(value)
        for value in row
    ]
    line = "\t".join(parts)
    if (
        line.count("\t") >= len(parts)
        or line.count("\\") != row.count(None)
        or "\n" in line
        or "\r" in line
    ):
        line = "\t".join(
            [
                escape(part) if type(value) is str else part
                for value, part in zip(row, parts, strict=True)
            ]
        )
    return line


def copy_text(rows):
    """Rows (lists of values) in COPY's text format, as UTF-8."""
    lines = [copy_line(row) for row in rows]
    lines.append("")
    return "\n".join(lines).encode()


def pairs_copy_text(rows):
    """Pairs of integer keys (a many-to-many table's rows) in COPY's text format, written
    directly: ten times cheaper than formatting them as rows."""
    return "".join([f"{a}\t{b}\n" for a, b in rows]).encode()


def batch_copy_text(buffer, rows):
    return pairs_copy_text(rows) if buffer.pairs else copy_text(rows)


class CopyWriter:
    """COPY on PostgreSQL in a thread of its own, so that the database takes one batch while
    Python reads and checks the next: on two cores this overlaps the two halves of the work.
    It uses the same connection, so the same transaction; the main thread does not touch the
    connection until `close()` has waited for the last batch. A batch is a buffer's rows, or
    COPY data a worker has already made from them (`stories.interchange.parallel`)."""

    def __init__(self, connection):
        self.raw = connection.connection  # psycopg's own connection, thread-safe
        self.quote = connection.ops.quote_name
        self.batches = queue.Queue(maxsize=4)  # bounded: memory stays bounded
        self.error = None
        self.thread = threading.Thread(target=self.run, name="archive-copy", daemon=True)
        self.thread.start()

    def send(self, buffer, rows, lines):
        if self.error is not None:
            raise self.error
        self.batches.put((buffer, rows, lines))

    def close(self):
        self.batches.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abandon(self):
        self.error = self.error or LoadError("after the last line", "abandoned")
        self.batches.put(None)  # the writer drains without copying, so there is room soon
        self.thread.join()

    def run(self):
        while (batch := self.batches.get()) is not None:
            if self.error is not None:
                continue  # drain, so that the main thread never blocks on a dead writer
            buffer, rows, lines = batch
            try:
                self.copy(buffer, rows)
            except Exception as exc:  # noqa: BLE001 - handed to the main thread
                self.error = refusal(buffer, lines, exc)

    def copy(self, buffer, rows):
        columns = ", ".join(self.quote(c) for c in buffer.columns)
        statement = f"COPY {self.quote(buffer.table)} ({columns}) FROM STDIN"
        data = rows if type(rows) is bytes else batch_copy_text(buffer, rows)
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(data)


def refusal(buffer, lines, exc):
    """The LoadError for a batch the database refused, naming the line where it can."""
    message = " ".join(str(exc).split())
    # PostgreSQL names the row of the COPY that failed: "COPY stories_story, line 3".
    if not buffer.pairs and (at := COPY_LINE.search(message)) and int(at[1]) <= len(lines):
        where = f"line {lines[int(at[1]) - 1]}"
    else:
        where = f"lines {lines[0]}-{lines[-1]}"
    return LoadError(where, f"the database refused a row for {buffer.table}: {message}")
