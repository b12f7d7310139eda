"""A copy's file, for visitors: only what they may see, never by a guessable storage URL."""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
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
    A hidden copy, or one of a story that is not published, is a 404 like a missing one."""
    copy = visible_copy(pk)
    served = copy.served_file
    shown = copy.media_type in SHOWN_IN_PAGE
    response = FileResponse(
        copies_storage().open(served.name, "rb"),
        content_type=copy.media_type if shown else "application/octet-stream",
        as_attachment=not shown,
        filename=copy.download_name,
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
