"""The web process's garbage collector (archive/collector.py): what the first request
leaves alive is frozen, so that full collections stop walking the process's modules,
templates and maps."""

import subprocess
import sys

SCRIPT = """
import gc, io, os, sys
os.environ.setdefault("DJANGO_DEBUG", "1")
from archive.wsgi import application
assert gc.get_freeze_count() == 0, "frozen before any request"
assert gc.get_threshold()[2] == 10, "full passes spaced out before any request"
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "SERVER_NAME": "localhost",
    "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
}
statuses = []
body = application(environ, lambda status, headers: statuses.append(status))
b"".join(body)
body.close()  # (request_finished is sent when the response is closed)
first = gc.get_freeze_count()
body = application(environ, lambda status, headers: statuses.append(status))
b"".join(body)
body.close()
print(statuses[0], gc.get_threshold()[2], first, gc.get_freeze_count())
"""


def test_the_first_request_freezes_what_is_alive_and_later_ones_do_not(tmp_path):
    """In a process of its own: a freeze cannot be undone (gc.unfreeze() would thaw the
    test runner's objects too)."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_ALLOWED_HOSTS": "localhost",
        },
    )
    status, *_, full_pass_every, first, second = result.stdout.split()
    assert status == "200"
    assert int(full_pass_every) == 100  # a full pass once every 100 middle ones, not 10
    assert int(first) > 10_000  # the modules, settings, URL patterns, ...
    # Once only: no second freeze adds the second request's objects (frozen objects freed
    # since leave the count).
    assert int(second) <= int(first)
