"""CSV and JSON downloads of any view of the story list: the same published stories, in the
same order, as `/stories/?<the same filters>` lists them (docs/opendata.md).

Streamed, with memory that does not grow with the number of stories: the stories are read in
chunks of CHUNK through one cursor, each chunk with its places, performers, posts and
sources (a fixed number of queries per chunk), and written out as they come. On PostgreSQL
the cursor is a server-side one inside a transaction (so the database sends rows as they are
fetched, each fetch a statement within the statement timeout); on SQLite the rows are read as
they are written out.
"""

import csv
import itertools
import json

from django.db import transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from browse.caching import public_page
from browse.filters import checked_filters
from opendata.records import COLUMNS, Addresses, flat_record, story_records

CHUNK = 500  # stories a fetch reads, with their links
LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
MAX_NAME = 120  # characters of the download's file name before its extension


@public_page
def stories_csv(request):
    filterset = checked_filters(request.GET)
    if filterset.form.errors:
        return bad_filters(filterset, as_json=False)
    rows = (flat_record(record) for record in records_of(filterset, request))
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    return attach(response, file_name(filterset, "csv"))


@public_page
def stories_json(request):
    filterset = checked_filters(request.GET)
    if filterset.form.errors:
        return bad_filters(filterset, as_json=True)
    records = records_of(filterset, request)
    head = {
        "archive": _("Lockdown Solidarity Archive"),
        "view": request.build_absolute_uri(list_address(request)),
        "licence": LICENCE,
    }
    response = StreamingHttpResponse(json_document(head, records), content_type="application/json")
    return attach(response, file_name(filterset, "json"))


def records_of(filterset, request):
    """The records of the filtered stories, in the list's order, a chunk at a time (see the
    module's docstring), once the response is streamed: a response never sent (HEAD, a
    client gone before the first byte) opens no transaction. The transaction ends with the
    download, or when the server closes an abandoned one (the generator is closed, the
    transaction rolled back). A database error midway ends the stream without its final
    chunk, which HTTP clients report as an incomplete transfer."""
    addresses = Addresses(request)
    with transaction.atomic():
        ids = filterset.qs.values_list("pk", flat=True).iterator(chunk_size=CHUNK)
        while chunk := list(itertools.islice(ids, CHUNK)):
            yield from story_records(chunk, addresses)


class Echo:
    """A file-like object whose write() returns what it is given: csv.writer then produces
    each line as a value to stream (Django's documented recipe for large CSV files)."""

    def write(self, value):
        return value


def csv_lines(rows):
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(list(COLUMNS))  # the BOM: spreadsheets then read UTF-8
    for row in rows:
        yield writer.writerow(row)


def json_document(head, records):
    """`head`'s members, then "stories": [the records], as one JSON object, a story a line."""
    opening = json.dumps(head, ensure_ascii=False, indent=None)[:-1]
    yield opening + ', "stories": [\n'
    first = True
    for record in records:
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def file_name(filterset, extension):
    """ "stories-city-florence-kind-music.csv": what was filtered, in the order of the
    filters' names."""
    parts = ["lockdown-archive-stories"]
    for name, value in sorted(filterset.active.items()):
        values = value if isinstance(value, list) else [value]
        parts.append(name.replace("_", "-"))
        parts.extend(slugify(getattr(v, "slug", None) or getattr(v, "code", v)) for v in values)
    sort = filterset.form.cleaned_data.get("sort")
    if sort:
        parts += ["sort", slugify(sort[0])]
    stem = "-".join(part for part in parts if part)[:MAX_NAME].rstrip("-")
    return f"{stem}.{extension}"


def attach(response, name):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def list_address(request):
    query = request.GET.urlencode()
    return reverse("browse:list") + (f"?{query}" if query else "")


def bad_filters(filterset, *, as_json):
    """A 400 naming each bad field, in the download's own format."""
    errors = {
        name: [error["message"] for error in messages]
        for name, messages in filterset.form.errors.get_json_data().items()
    }
    if as_json:
        return JsonResponse(
            {"errors": errors}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    lines = [f"{name}: {message}" for name, messages in errors.items() for message in messages]
    return HttpResponse(
        "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )
