"""HTTP caching for public pages: Cache-Control, and an ETag that changes with the archive."""

import hashlib
from functools import wraps

from django.db import connection
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe

from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story

MAX_AGE = 300  # seconds a browser or shared cache may reuse a page without asking


def archive_version():
    """A fingerprint of everything public pages show, in one query.

    The newest story edit catches edits and publication (curators save the story, and
    the admin saves it with its inlines); the row counts catch deletions and rows added
    without touching a story.
    """
    story = Story._meta.db_table
    parts = [f"(SELECT MAX(updated_at) FROM {story})", f"(SELECT COUNT(*) FROM {story})"]
    for model in (LinkedPost, City, Country, Region, Performer, SourceArticle):
        table = model._meta.db_table
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        parts.append(f"(SELECT MAX(id) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


def archive_etag(request, *args, **kwargs):
    return hashlib.md5(archive_version().encode(), usedforsecurity=False).hexdigest()


def public_page(view):
    """GET/HEAD only, cacheable by anyone for MAX_AGE, revalidated with the archive's ETag.

    Views wrapped in this must not touch the session, the user or the CSRF token, or
    Django adds `Vary: Cookie` and shared caches can no longer keep the page.
    """

    @require_safe
    @cache_control(public=True, max_age=MAX_AGE)
    @condition(etag_func=archive_etag)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapper
