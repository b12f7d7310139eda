"""The shared cache: Django's Redis backend, made to forgive a Redis that is down or frozen.

What the site caches (browse/caching.py: facet counts, totals, the city list, the timeline and
map data) can always be computed again from the database, so a Redis outage should cost the
cached values and never the page. `ForgivingRedisCache` answers every call it cannot make as
a cache that holds nothing would (a miss, a write that kept nothing), logs one warning line,
and then leaves Redis alone for `PAUSE` seconds: a stopped Redis costs one refused connection,
a frozen one (accepts connections, never answers) the socket timeouts set in
archive/settings.py (0.1 s each), once per pause and process, not once per call. After the
pause the next call tries Redis again; if Redis answers, caching resumes, and the next outage
is logged again.

Selected by CACHE_URL (archive/settings.py); docs/deployment.md, "Shared cache".
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

PAUSE = 10.0  # seconds without trying Redis after it failed to answer

# Errors of an unreachable or silent server. (A refused or reset connection, a failed DNS
# look-up and a server still loading its data are all ConnectionErrors in redis-py; a socket
# timeout is its TimeoutError.)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Outages:
    """When each Redis location may be tried again, shared by the threads of a process
    (Django makes one cache object per thread)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until = {}

    def paused(self, location):
        with self._lock:
            until = self._until.get(location)
            return until is not None and time.monotonic() < until

    def failed(self, location):
        """Start a pause; True when Redis was thought up until now (so log it)."""
        with self._lock:
            first = location not in self._until
            self._until[location] = time.monotonic() + PAUSE
            return first

    def answered(self, location):
        """Redis answered: True when it had been down (so say it is back)."""
        with self._lock:
            return self._until.pop(location, None) is not None


outages = _Outages()


def _forgiving(fallback):
    """Wrap a RedisCache method: while Redis cannot be reached, return `fallback(args)`."""

    def decorate(method):
        def wrapper(self, *args, **kwargs):
            if outages.paused(self._location):
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                if outages.failed(self._location):
                    logger.warning(
                        "Redis cache unreachable (%s); serving without it, retrying in %d s.",
                        type(exc).__name__,
                        PAUSE,
                    )
                return fallback(*args, **kwargs)
            if outages.answered(self._location):
                logger.info("Redis cache answering again.")
            return result

        wrapper.__name__ = method.__name__
        wrapper.__doc__ = method.__doc__
        return wrapper

    return decorate


def _nothing(*_args, **_kwargs):
    return None


def _false(*_args, **_kwargs):
    return False


def _default(key, default=None, *_args, **_kwargs):
    return default


def _no_values(*_args, **_kwargs):
    return {}


def _all_keys_failed(data, *_args, **_kwargs):
    """set_many's answer: the keys it could not store."""
    return list(data)


class ForgivingRedisCache(RedisCache):
    """Django's RedisCache; while Redis is down or frozen, a cache that keeps nothing.

    | call | answer while Redis cannot be reached |
    | --- | --- |
    | get, get_or_set's read | the default (a miss: the caller computes the value) |
    | get_many | {} |
    | set, set_many | nothing stored (set_many: every key, as "not stored") |
    | add, touch, delete, has_key | False |
    | delete_many, clear | nothing done |

    incr/decr are left as Django has them (an error): a counter cannot pretend.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        # The pause is per Redis server (and database), not per cache object.
        self._location = tuple(self._servers)

    get = _forgiving(_default)(RedisCache.get)
    get_many = _forgiving(_no_values)(RedisCache.get_many)
    set = _forgiving(_nothing)(RedisCache.set)
    set_many = _forgiving(_all_keys_failed)(RedisCache.set_many)
    add = _forgiving(_false)(RedisCache.add)
    touch = _forgiving(_false)(RedisCache.touch)
    delete = _forgiving(_false)(RedisCache.delete)
    delete_many = _forgiving(_nothing)(RedisCache.delete_many)
    has_key = _forgiving(_false)(RedisCache.has_key)
    clear = _forgiving(_nothing)(RedisCache.clear)
