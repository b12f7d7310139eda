"""The garbage collector in a web process: what is alive once the first request is served is
set aside for good (`gc.freeze()`), so that the collector's full passes stop walking it.

A full pass walked every object the process holds: the modules, the URL patterns, the
compiled templates, the world map's coastlines. At a million stories such a pass took 50 to
100 ms and fell on one request in five to ten, so that a page's 95th percentile was its
median plus a collection (docs/benchmarks.md). Those objects live as long as the process;
after the freeze a full pass walks only what requests have made since. Instagram's web
servers do the same ("Dismissing Python Garbage Collection at Instagram", 2017).

After the freeze, a full pass comes at most once every FULL_PASS_EVERY passes of the middle
generation, not Python's 10. With so little left to walk, Python's other condition for one
(the survivors since the last full pass a quarter of what it walked) held almost always: a
full pass came one request in five, and took 50 to 100 ms however little it found, walking
the request's own objects (the cold map page's 95th percentile, in the benchmark's run of
every page: 171 ms, 78 after; full passes over the 90 requests of three pages: 15, then 3).
A request's garbage is freed by its reference counts or by the young passes; what reaches
the oldest generation waits longer.

`archive/wsgi.py` installs it for gunicorn's workers; `bench/browse_at_scale.py` for its
in-process client, so that it measures what the workers do.
"""

import gc

from django.core.signals import request_finished

FULL_PASS_EVERY = 100  # passes of the middle generation (Python's default: 10)


def freeze_after_first_request():
    request_finished.connect(_freeze, dispatch_uid="archive.collector.freeze")


def _freeze(**kwargs):
    request_finished.disconnect(dispatch_uid="archive.collector.freeze")
    gc.collect()  # (the first request's garbage is not kept for good)
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)
