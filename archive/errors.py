"""The page a visitor gets when a request fails: 503 while the database is unreachable, else 500.

`handler500` (archive/urls.py) is called for an exception raised anywhere in a request, in
a view, a middleware or a template, which a middleware's `process_exception` would not see.
Both pages render without a request context and without the database: no context processor
runs, so nothing can query it.
"""

import sys

from django.db import OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

# Seconds a visitor or a crawler should wait before trying again while the database is away.
RETRY_AFTER = 30


def database_unreachable(exc):
    """True when `exc`, or an exception that led to it, says the database cannot be used."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request):
    """handler500: Django calls it inside its `except` block, so the exception is at hand."""
    if database_unreachable(sys.exc_info()[1]):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
    else:
        response = HttpResponse(loader.render_to_string("500.html"), status=500)
    # An error page must not be kept by a cache in front of the site once the fault is gone.
    add_never_cache_headers(response)
    return response
