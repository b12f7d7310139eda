"""Settings for the Lockdown Solidarity Archive, all read from the environment.

DATABASE_URL          database to use (default: SQLite file db.sqlite3 in the project folder)
DJANGO_SECRET_KEY     required unless DJANGO_DEBUG is on
DJANGO_DEBUG          1/0/true/false/yes/no/on/off in any case; off unless set
DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost, 127.0.0.1)

DATABASE_CONNECT_TIMEOUT    seconds, a whole number of at least 2 (default 2): how long a new
                            PostgreSQL connection, or the check of a reused one at the start of
                            a request, may take before the visitor gets the 503 page
DATABASE_STATEMENT_TIMEOUT  seconds (default 10; 0 turns it off): PostgreSQL cancels a longer
                            statement of a web request (management commands have none); a
                            server that has not answered after this plus the connect timeout
                            is given up (see docs/deployment.md, "Database faults")
ARCHIVE_CONTACT_EMAIL       the address /about/ gives for corrections and takedown requests
                            (default: none; the page then says the archive has none yet)
OAI_REPOSITORY_IDENTIFIER   the name in OAI-PMH identifiers, oai:<name>:<slug> (default
                            lockdown-solidarity-archive); the archive's domain, set once
API_RATE_LIMIT              requests a minute (120/min) or s, hour, day an address may make
                            of the JSON API ("" turns the limit off)
FACET_TIME_BUDGET           seconds (default 0.3): the database time the story list may spend
                            counting its facets; facets not counted by then are left out, and
                            the page names them (browse/budget.py)

HTTPS (see docs/deployment.md, "HTTPS and headers"; all off unless DJANGO_HTTPS is on, so
`make run` and other plain-http set-ups keep working):
DJANGO_HTTPS                    1 when the site is reached over HTTPS: redirects http to https,
                                sends HSTS, marks the session, CSRF and language cookies Secure
DJANGO_HSTS_SECONDS             HSTS max-age (default 31536000, one year; 0 sends none)
DJANGO_HSTS_INCLUDE_SUBDOMAINS  HSTS includeSubDomains (default on)
DJANGO_HSTS_PRELOAD             HSTS preload (default off: asking for the browsers' preload
                                list is the domain owner's decision, hard to undo)
DJANGO_SECURE_PROXY_SSL_HEADER  set only behind a TLS-terminating proxy that always sets the
                                header: 1 for X-Forwarded-Proto, or the header's name; a request
                                whose header says "https" is then taken as secure
DJANGO_CSRF_TRUSTED_ORIGINS     comma-separated origins (https://archive.example) allowed to
                                post forms when the proxy changes the host or port

COPIES_ROOT the folder archived copies of posts are written to (default: copies/ in the
            project folder); see docs/preservation.md for S3-compatible storage instead
CORRECTION_RATE_LIMIT requests for a correction or removal one address may send an hour (5)
CAPTURE_CONTACT the address capture_posts and check_links give in their User-Agent (default:
            ARCHIVE_CONTACT_EMAIL, else none)

CACHE_URL   the cache the workers share, redis://[:password@]host:port/db (or rediss://,
            unix:///path?db=N); unset: each process keeps its own in memory. See
            docs/deployment.md, "Shared cache".
"""

import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}.")


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must name at least one host, comma-separated.")
    return items


def env_seconds(name, default, minimum=0, whole=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value < float("inf"):
        kind = "a whole number of seconds" if whole else "a number of seconds"
        raise ImproperlyConfigured(f"{name} must be {kind}, at least {minimum}, not {raw!r}.")
    return value


def env_int(name, default, minimum=0):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {minimum}, not {raw!r}."
        )
    return value


def env_email(name):
    """An e-mail address, or "" when unset."""
    value = os.environ.get(name, "").strip()
    if value and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", value):
        raise ImproperlyConfigured(f"{name} must be an e-mail address, not {value!r}.")
    return value


def env_origins(name):
    """Comma-separated origins, each scheme://host[:port] with nothing after it."""
    origins = []
    for origin in env_list(name, []):
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://archive.example, not {origin!r}."
            )
        origins.append(origin)
    return origins


def env_origin(name):
    """An origin (scheme://host[:port], nothing after it) from the environment, or ""."""
    value = os.environ.get(name, "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ImproperlyConfigured(f"{name} must be an origin such as https://replay.example.org")
    return value


def env_proxy_ssl_header(name):
    """None unless asked for; 1/true/yes/on means X-Forwarded-Proto, else the header's name."""
    raw = (os.environ.get(name) or "").strip()
    if raw.lower() in FALSE_WORDS:
        return None
    header = "X-Forwarded-Proto" if raw.lower() in TRUE_WORDS else raw
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", header):
        raise ImproperlyConfigured(
            f"{name} must be 1 (for X-Forwarded-Proto) or a header name, not {raw!r}."
        )
    return ("HTTP_" + header.upper().replace("-", "_"), "https")


def env_database(name, default):
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from exc
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, for example postgres://host/db.")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with the connect and statement timeouts below and a client-side
        # deadline on every wait (archive/postgresql/base.py): a frozen server gives a 503.
        config["ENGINE"] = "archive.postgresql"
    return config


CACHE_SCHEMES = ("redis", "rediss", "unix")
DATABASE_IDENTITY = ("ENGINE", "HOST", "PORT", "NAME")  # what the cache's key prefix is made of
# A stopped Redis refuses at once; a frozen one (the kernel still accepts connections) would
# hold a request until these run out: a tenth of a second to connect, a tenth to answer, then
# archive/cache.py leaves Redis alone for 10 s. Options in the URL's query string win.
CACHE_SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}


def env_cache(name, database, release):
    """Local memory unless `name` holds a Redis URL, then the shared Redis cache.

    Keys carry `release` (Django's cache VERSION), so a deploy that changes what is cached
    does not read the values the previous release left, and a prefix derived from the
    database, so two archives sharing one Redis do not read each other's values. The URL
    may hold a password: no message repeats it.
    """
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        # Each process its own; the default Django would pick, named.
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    usage = (
        f"{name} must be a Redis URL such as redis://host:6379/0, rediss://... or "
        "unix:///path/to/redis.sock?db=0 (the value is not repeated here: it may hold a "
        "password)."
    )
    # redis-py's own parser, the one the cache will use: the scheme, the port, the database
    # number and the options in the query string (?socket_timeout=0.5), whose values it checks.
    from redis.connection import URL_QUERY_ARGUMENT_PARSERS, parse_url

    try:
        options = parse_url(raw)
    except ValueError:
        raise ImproperlyConfigured(usage) from None
    if raw.startswith("unix:"):
        complete = options.get("path")
    else:
        # redis-py takes a database "number" it cannot read (redis://host/zero) as 0.
        number = urlsplit(raw).path.strip("/")
        complete = options.get("host") and (number == "" or re.fullmatch(r"[0-9]+", number))
    if not complete:
        raise ImproperlyConfigured(usage)
    unknown = sorted(set(parse_qs(urlsplit(raw).query)) - set(URL_QUERY_ARGUMENT_PARSERS))
    if unknown:
        raise ImproperlyConfigured(
            f"{name} has options redis-py does not know: {', '.join(unknown)} (it knows "
            f"{', '.join(sorted(URL_QUERY_ARGUMENT_PARSERS))})."
        )
    identity = "|".join(str(database.get(part) or "") for part in DATABASE_IDENTITY)
    return {
        "default": {
            "BACKEND": "archive.cache.ForgivingRedisCache",
            "LOCATION": raw,
            # "archive-" and 12 hex digits of the database's engine, host, port and name: the
            # same for every worker and machine serving one database, and no file path or
            # host name in Redis's key list.
            "KEY_PREFIX": "archive-" + hashlib.sha256(identity.encode()).hexdigest()[:12],
            "VERSION": release,
            "OPTIONS": dict(CACHE_SOCKET_TIMEOUTS),
        }
    }


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
# Page captures are replayed (ReplayWeb.page) from an origin of their own, where a captured
# page's scripts run without the site's cookies (docs/preservation.md, "Replaying a
# capture"): a host name of its own, pointing at this site. Empty: captures are downloads.
REPLAY_ORIGIN = env_origin("REPLAY_ORIGIN")
if REPLAY_ORIGIN and urlsplit(REPLAY_ORIGIN).hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(REPLAY_ORIGIN).hostname)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "simple_history",
    "axes",
    # Its system checks catch settings left in django-csp 3's format.
    "csp",
    "stories",
    "browse",
    "opendata",
    "preservation",
]

MIDDLEWARE = [
    # Answers /healthz before host validation and the HTTPS redirect (archive/health.py).
    "archive.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # On the replay origin, only the replay frames and the copies' files (browse/replay.py).
    "browse.replay.ReplayOriginMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks the language from the language cookie or Accept-Language (adding
    # `Vary: Accept-Language`); it never reads the session, so public pages stay cacheable.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the revision history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Answers locked-out logins; must come last.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins while a username is locked out from an address; must come first.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "archive.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "browse.replay.replay_origin",
            ],
        },
    },
]

WSGI_APPLICATION = "archive.wsgi.application"

# What the site does when PostgreSQL is down or frozen: docs/deployment.md, "Database faults".
DATABASE_CONNECT_TIMEOUT = env_seconds("DATABASE_CONNECT_TIMEOUT", 2, minimum=2, whole=True)
DATABASE_STATEMENT_TIMEOUT = env_seconds("DATABASE_STATEMENT_TIMEOUT", 10)
FACET_TIME_BUDGET = env_seconds("FACET_TIME_BUDGET", 0.3)
ARCHIVE_CONTACT_EMAIL = env_email("ARCHIVE_CONTACT_EMAIL")
CAPTURE_CONTACT = env_email("CAPTURE_CONTACT") or ARCHIVE_CONTACT_EMAIL
# Requests for a correction or removal one address may send in an hour (browse/corrections.py).
CORRECTION_RATE_LIMIT = env_int("CORRECTION_RATE_LIMIT", 5, minimum=1)
# OAI-PMH identifiers read oai:<this>:<story slug> (opendata/oai.py): set it once, to the
# archive's domain name, and never change it, or harvesters see every story as new.
OAI_REPOSITORY_IDENTIFIER = os.environ.get(
    "OAI_REPOSITORY_IDENTIFIER", "lockdown-solidarity-archive"
).strip()
if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.-]*", OAI_REPOSITORY_IDENTIFIER):
    raise ImproperlyConfigured(
        "OAI_REPOSITORY_IDENTIFIER must be a name of letters, digits, dots and hyphens."
    )

# The JSON API (opendata/api.py): anonymous, JSON only, no session read (pages stay
# cacheable). API_RATE_LIMIT: requests per address, "120/min" by default ("" turns it off);
# API_PROXIES: how many proxies in front of the site add to X-Forwarded-For (0: the
# address is REMOTE_ADDR's).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/min").strip() or None
RATE = r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)"
if API_RATE_LIMIT and not re.fullmatch(RATE, API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT must read like 120/min (s, min, hour, day), not {API_RATE_LIMIT!r}."
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": env_int("API_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lockdown Solidarity Archive API",
    "DESCRIPTION": (
        "Read-only access to the archive's published stories, and the cities, countries "
        "and performers they name. Stories take the story list's filters. Anonymous; "
        "rate-limited per address (429 with Retry-After). See docs/opendata.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "StoryKindEnum": "stories.models.Story.Kind",
        "PerformerKindEnum": "stories.models.Performer.Kind",
        "PlatformEnum": "stories.models.LinkedPost.Platform",
    },
}
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

# Raise when a deploy changes what a page shows for the same data (templates) or the shape
# of a cached value: it is in every ETag (browse/caching.py) and every cache key, so neither
# browsers nor a shared cache that outlives the deploy hand out the old release's answers.
RELEASE = 4

# Facet counts and other derived values (browse/caching.py); shared by every worker and
# machine when CACHE_URL names a Redis (docs/deployment.md, "Shared cache").
CACHES = env_cache("CACHE_URL", DATABASES["default"], RELEASE)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# British English, with its date formats ("14 Mar 2020" in the admin). Plain "en" would switch
# them to American ones. Italian and Spanish come later, each with a catalog in locale/.
LANGUAGES = [("en-gb", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Archived copies of posts (preservation/): never served from a URL of the storage itself,
# only through the copy view, which admits only what the public may see.
COPIES_ROOT = Path(os.environ.get("COPIES_ROOT", "") or BASE_DIR / "copies")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "copies": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": COPIES_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Login throttling: five failed logins for one username from one address lock that pair
# out for 15 minutes; the lock lifts by itself, and a success clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# HTTPS, cookies and headers (docs/deployment.md, "HTTPS and headers").
HTTPS = env_bool("DJANGO_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
if not SECURE_HSTS_PRELOAD:
    # "preload" asks browsers to hard-code HTTPS for the whole registrable domain, a step that
    # takes months to undo: an opt-in for the domain's owner, not a default (documented).
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("DJANGO_SECURE_PROXY_SSL_HEADER")
CSRF_TRUSTED_ORIGINS = env_origins("DJANGO_CSRF_TRUSTED_ORIGINS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Links to the posts' sites carry no address from the archive, not even its name.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Everything comes from this origin: no inline script or style, no eval, no frames, no plugins.
# The public pages and the admin (with django-simple-history's pages) keep to it; the browser
# test tests/test_csp_browser.py fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        # Archived videos of posts, served by the site itself (preservation/views.py).
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    },
}


def replay_static_headers(headers, path, url):
    """WhiteNoise's hook for the headers of static files: ReplayWeb.page's folder
    (static/replay/, docs/preservation.md) is where its service worker replays, and the
    replay origin's frame frames it, itself framed by the site's page. Its files get the
    site's policy with one change, frames of this origin and the site's may show them
    (frame-ancestors 'self' and the site's hosts for 'none'): the placeholder index.html, the
    frame's first answer before the worker has taken the folder over, must be framed for
    ReplayWeb.page to see that and load the frame again. sw.js's own policy, the one the
    worker runs under, stays the site's otherwise."""
    if url.startswith(f"/{STATIC_URL.strip('/')}/replay/"):
        from csp.utils import build_policy

        from browse.replay import site_hosts

        headers["Content-Security-Policy"] = build_policy(
            replace={"frame-ancestors": [SELF, *site_hosts()]}
        )


WHITENOISE_ADD_HEADERS_FUNCTION = replay_static_headers
# /static/replay/ answers with its index.html (the only static folder that has one).
WHITENOISE_INDEX_FILE = True

# No page uses a camera, a microphone, the visitor's position or any other powerful feature.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 4xx is one warning line, without a traceback (see browse/logs.py).
    "filters": {"client_errors": {"()": "browse.logs.ClientErrorsOnOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors"]},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
