"""HTTP caching for public pages: Cache-Control, and an ETag that changes with the archive."""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import condition, require_safe

MAX_AGE = 300  # seconds a browser or shared cache may reuse a page without asking


def archive_revision(request=None):
    """The archive's revision: a number database triggers raise on every change to what an
    anonymous visitor can see (published stories, their posts and links, and the places,
    performers and sources they link), and on no other: editors at work on drafts leave it,
    and so every ETag and cached count, as it was (stories/revision.py says what counts).

    Installed by migration 0004_story_search, its triggers by 0011_visible_revision. One
    indexed read, so it stays cheap with a million stories. Kept on the request so a view
    can reuse it for its own caches.
    """
    if request is not None and hasattr(request, "archive_revision"):
        return request.archive_revision
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM stories_archive_revision WHERE id = 1")
        row = cursor.fetchone()
    revision = row[0] if row else 0
    if request is not None:
        request.archive_revision = revision
    return revision


def archive_etag(request, *_args, **_kwargs):
    """Changes whenever what visitors can see of the archive does, with each release of the
    templates, and differs between the languages a page is served in (pages `Vary:
    Accept-Language`)."""
    return f'"{settings.RELEASE}-{get_language()}-{archive_revision(request)}"'


PARTIAL_TIMEOUT = 60  # seconds a value missing what a later try may complete is kept


def cached(request, name, compute, timeout=3600, complete=None):
    """`compute()`, kept in the cache until the archive changes (or `timeout` passes);
    only PARTIAL_TIMEOUT seconds when `complete(value)` is false (facets left out of a page
    for want of time: a later try may count them, but not every request should pay for
    trying).

    The archive changes when curators publish, so most requests can reuse the counts of an
    earlier one.
    """
    key = f"{name}:{get_language()}:{archive_revision(request)}"
    if len(key) > 200:
        key = hashlib.sha256(key.encode()).hexdigest()
    value = cache.get(key)
    fresh = value is None
    if fresh:
        value = compute()
    if complete is not None and not complete(value):
        timeout = PARTIAL_TIMEOUT
        request.partial_page = True  # and so is the page made with it: see cached_page()
    if fresh:
        cache.set(key, value, timeout)
    return value


PAGE_TIMEOUT = 3600  # seconds a whole page is kept (a change to the archive replaces it sooner)


def cached_page(request, render):
    """The response `render()` gives for this GET, kept whole in the cache until the archive
    changes (its revision is in the key), as `cached()` keeps counts: a repeated request
    reads one row (the revision) and the page, and renders nothing.

    Only a plain public answer is kept: a 200 the view set no Cache-Control on (a staff
    preview sets never-cache) and no cookie. A page made with something left out for want
    of time is kept PARTIAL_TIMEOUT seconds, like that part. The key holds the language,
    the release (the cache's VERSION: see archive/settings.py) and the whole path with its
    query string.

    Django's cache_page() cannot do this: its key is the URL and headers only, so it would
    serve the page from before an editor's change until its timeout.
    """
    if request.method != "GET":
        return render()
    address = f"{get_language()}:{archive_revision(request)}:{request.get_full_path()}"
    key = "page:" + hashlib.sha256(address.encode()).hexdigest()
    response = cache.get(key)
    if response is not None:
        return response
    response = render()
    keep = (
        response.status_code == 200
        and not response.streaming
        and not response.has_header("Cache-Control")
        and not response.cookies
    )
    if keep:
        partial = getattr(request, "partial_page", False)
        cache.set(key, response, PARTIAL_TIMEOUT if partial else PAGE_TIMEOUT)
    return response


def public_page(view):
    """GET/HEAD only, cacheable by anyone for MAX_AGE, revalidated with the archive's ETag,
    and kept whole on the server until the archive changes (`cached_page()`).

    Views wrapped in this must not touch the session, the user or the CSRF token, or
    Django adds `Vary: Cookie` and shared caches can no longer keep the page.
    """

    @require_safe
    @condition(etag_func=archive_etag)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = cached_page(request, lambda: view(request, *args, **kwargs))
        # A view that set its own policy (a staff preview: never cache) keeps it.
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response

    return wrapper
