"""A copy's file, for visitors: only what they may see, never by a guessable storage URL."""

import re

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import condition, require_safe

from preservation.files import SHOWN_IN_PAGE
from preservation.models import ArchivedCopy, copies_storage

from .caching import MAX_AGE


def visible_copy(pk):
    copy = ArchivedCopy.objects.visible().filter(pk=pk).first()
    if copy is None:
        raise Http404("No such copy.")
    return copy


def copy_etag(request, pk):
    """The checksum of the file served: a copy never changes, so neither does its ETag."""
    copy = ArchivedCopy.objects.visible().filter(pk=pk).values("sha256", "public_sha256").first()
    return copy and (copy["public_sha256"] or copy["sha256"])


@require_safe
@condition(etag_func=copy_etag)
def copy_file(request, pk):
    """The copy itself: a picture or video in the page (its public derivative, without
    location data, where it has one); a WARC file or anything else as a download.
    A hidden copy, or one of a story that is not published, is a 404 like a missing one.

    A single byte range (`Range: bytes=a-b`, `a-`, `-n`) is answered with 206 and that part:
    Safari plays a video only from a server that does, and every browser needs it to seek.
    A range beyond the file is a 416; several ranges, or a Range of another unit, get the
    whole file (200), as RFC 9110 allows."""
    copy = visible_copy(pk)
    served = copy.served_file
    shown = copy.media_type in SHOWN_IN_PAGE
    handle = copies_storage().open(served.name, "rb")
    size = handle.size
    wanted = byte_range(request.headers.get("Range", ""), size)
    if wanted is UNSATISFIABLE:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = FileResponse(handle)
    else:
        start, end = wanted
        response = StreamingHttpResponse(part_of(handle, start, end), status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Content-Type"] = copy.media_type if shown else "application/octet-stream"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not shown, filename=copy.download_name
    )
    response["Accept-Ranges"] = "bytes"
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


UNSATISFIABLE = object()
RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 64 * 1024


def byte_range(header, size):
    """(first, last) byte of a single satisfiable range, None to send everything, or
    UNSATISFIABLE."""
    match = RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None  # (no Range, several ranges, another unit, or "bytes=-")
    first, last = match.groups()
    if first == "":  # the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - length), size - 1
    first = int(first)
    last = size - 1 if last == "" else min(int(last), size - 1)
    if first >= size or last < first:
        return UNSATISFIABLE
    return first, last


def part_of(handle, start, end):
    with handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0 and (chunk := handle.read(min(CHUNK, left))):
            left -= len(chunk)
            yield chunk
