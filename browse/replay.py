"""Replaying a page capture in the page, from an origin of its own (docs/preservation.md).

A replayed page's own scripts run where ReplayWeb.page replays it. On the site's origin they
could make requests with a logged-in editor's cookies (ReplayWeb.page's rewriting is not a
security boundary), so the replay lives on `REPLAY_ORIGIN`, another host name pointing at the
same site, where no cookie is ever set: the page `/copies/<id>/replay/` on the site frames
`REPLAY_ORIGIN/copies/<id>/replay/frame/`, which holds `<replay-web-page>`; its service
worker, the WARC it reads and the replayed page are all of the replay origin. On that origin
`ReplayOriginMiddleware` answers the frames and the copies' files and nothing else (no admin,
no form); on the site's origin the frame is a 404. Without `REPLAY_ORIGIN` there is no
replay: a capture is a download.
"""

import re
from functools import wraps
from urllib.parse import urlsplit

from csp.constants import SELF
from django.conf import settings
from django.http import Http404, HttpResponseNotFound
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt

from preservation.models import ArchivedCopy

from .caching import public_page

# What the replay origin answers (static files are WhiteNoise's, before this middleware).
ON_THE_REPLAY_ORIGIN = re.compile(r"\A/copies/[0-9]+/(?:replay/frame/)?\Z")


def replay_host():
    return urlsplit(settings.REPLAY_ORIGIN).netloc if settings.REPLAY_ORIGIN else None


def on_replay_origin(request):
    host = replay_host()
    return host is not None and request.get_host() == host


class ReplayOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if on_replay_origin(request) and not ON_THE_REPLAY_ORIGIN.match(request.path_info):
            return HttpResponseNotFound(
                "Not found. This address only replays the archive's page captures.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def replay_origin(request):
    """Context processor: where captures are replayed ("" for nowhere)."""
    return {"replay_origin": settings.REPLAY_ORIGIN}


def replayable(pk):
    """The capture `pk` if the public may see it, else 404 (as for a missing copy)."""
    copy = (
        ArchivedCopy.objects.visible()
        .filter(pk=pk, kind=ArchivedCopy.Kind.CAPTURE)
        .select_related("post__story")
        .first()
    )
    if copy is None:
        raise Http404("No such copy.")
    return copy


def with_policy(update=None, replace=None):
    """Change the site's Content-Security-Policy for a view, after the page cache: add what
    `update(request)` gives, replace what `replace(request)` gives (django-csp reads these
    from the response)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if update is not None:
                response._csp_update = update(request)
            if replace is not None:
                response._csp_replace = replace(request)
            return response

        return wrapper

    return decorator


@with_policy(update=lambda request: {"frame-src": [settings.REPLAY_ORIGIN]})
@public_page
def copy_replay(request, pk):
    """The page of a capture on the site: what it is, the replay framed from the replay
    origin, the WARC to download. 404 without a replay origin, and for anything but a
    capture the public may see."""
    if not settings.REPLAY_ORIGIN or on_replay_origin(request):
        raise Http404("No replay here.")
    copy = replayable(pk)
    return render(request, "browse/copy_replay.html", {"copy": copy, "story": copy.post.story})


def site_hosts():
    """The site's own host names as CSP host sources (any port), never the replay origin:
    who may frame the replay (a frame's ancestors all count, the site's page among them)."""
    sources = []
    for host in settings.ALLOWED_HOSTS:
        if host in (replay_host(), urlsplit(settings.REPLAY_ORIGIN).hostname):
            continue
        if host == "*":
            return ["*"]
        if host.startswith("["):
            continue  # (CSP's host sources name no IPv6 address)
        sources.append(f"*{host}:*" if host.startswith(".") else f"{host}:*")
    return sources


def embedders(request):
    return {"frame-ancestors": site_hosts() or ["'none'"]}


@xframe_options_exempt
@with_policy(update=lambda request: {"frame-src": [SELF]}, replace=embedders)
@public_page
def copy_replay_frame(request, pk):
    """The replay itself, on the replay origin only: `<replay-web-page>` reading the WARC
    of this origin, its service worker in static/replay/ of this origin."""
    if not on_replay_origin(request):
        raise Http404("No replay here.")
    return render(request, "browse/copy_replay_frame.html", {"copy": replayable(pk)})
