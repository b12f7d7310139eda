"""`/healthz`: 200 or 503 with the database's state, for load balancers and Docker.

It is answered by a middleware placed first, before host validation and the HTTPS
redirect, so that a probe on the container's own address over plain HTTP (Docker's
healthcheck, a load balancer) gets the answer whatever DJANGO_ALLOWED_HOSTS says. The body
names nothing but the state; it costs one `SELECT 1` and is never cached.
"""

import json
import logging

from django.db import Error, connection
from django.http import HttpResponse, HttpResponseNotAllowed
from django.utils.cache import add_never_cache_headers

PATH = "/healthz"

logger = logging.getLogger(__name__)


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Error as exc:
        logger.warning("Health check: the database is unavailable: %s", exc)
        return False
    return True


def health(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    up = database_answers()
    response = HttpResponse(
        json.dumps({"status": "ok" if up else "unavailable", "database": "up" if up else "down"}),
        content_type="application/json",
        status=200 if up else 503,
    )
    add_never_cache_headers(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH:
            return health(request)
        return self.get_response(request)
