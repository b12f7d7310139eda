"""Settings are read from the environment; a bad value stops start-up naming the variable."""

import ast
import os
import subprocess
import sys

import pytest
from django.conf import settings


def start(code="", **env):
    """Start Django in a fresh interpreter with only the given configuration."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_URL"))
    }
    environ.update(DJANGO_SETTINGS_MODULE="archive.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env=environ,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def setting(name, **env):
    result = start(f"from django.conf import settings; print(settings.{name})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("value", ["maybe", "2", "tru"])
def test_malformed_debug_names_the_variable(value):
    result = start(DJANGO_DEBUG=value, DJANGO_SECRET_KEY="x")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_DEBUG" in result.stderr


@pytest.mark.parametrize("value", ["TRUE", "1", "yes", "On"])
def test_debug_accepts_true_words_in_any_case(value):
    assert setting("DEBUG", DJANGO_DEBUG=value) == "True"


@pytest.mark.parametrize("value", ["FALSE", "0", "no", "off"])
def test_debug_accepts_false_words_in_any_case(value):
    assert setting("DEBUG", DJANGO_DEBUG=value, DJANGO_SECRET_KEY="x") == "False"


def test_debug_is_off_unless_asked_for():
    assert setting("DEBUG", DJANGO_SECRET_KEY="x") == "False"


@pytest.mark.parametrize("value", ["nonsense", "mysql-ish://", "postgres://host:notaport/db"])
def test_malformed_database_url_names_the_variable(value):
    result = start(DJANGO_DEBUG="1", DATABASE_URL=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_database_url_selects_postgresql():
    engine = setting(
        "DATABASES['default']['ENGINE']",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://archive:secret@db.example:5432/archive",
    )
    # Django's PostgreSQL backend with a deadline on every wait (archive/postgresql/base.py).
    assert engine == "archive.postgresql"


def test_secret_key_is_required_when_debug_is_off():
    result = start(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_allowed_hosts_are_read_comma_separated():
    hosts = setting(
        "ALLOWED_HOSTS",
        DJANGO_SECRET_KEY="x",
        DJANGO_ALLOWED_HOSTS="archive.example, www.archive.example",
    )
    assert hosts == "['archive.example', 'www.archive.example']"


def test_the_replay_origin_is_off_unless_set_and_its_host_is_allowed():
    assert setting("REPLAY_ORIGIN", DJANGO_SECRET_KEY="x") == ""
    env = {
        "DJANGO_SECRET_KEY": "x",
        "DJANGO_ALLOWED_HOSTS": "archive.example",
        "REPLAY_ORIGIN": "https://replay.archive.example/",
    }
    assert setting("REPLAY_ORIGIN", **env) == "https://replay.archive.example"
    assert setting("ALLOWED_HOSTS", **env) == "['archive.example', 'replay.archive.example']"


@pytest.mark.parametrize(
    "value", ["replay.archive.example", "ftp://replay.example", "https://replay.example/w/"]
)
def test_a_replay_origin_that_is_not_an_origin_names_the_variable(value):
    result = start(DJANGO_SECRET_KEY="x", REPLAY_ORIGIN=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: REPLAY_ORIGIN must be an origin" in result.stderr


POSTGRES_URL = "postgres://archive:secret@db.example:5432/archive"


def test_database_timeouts_default_to_2_and_10_seconds():
    assert setting("DATABASE_CONNECT_TIMEOUT", DJANGO_SECRET_KEY="x") == "2"
    assert setting("DATABASE_STATEMENT_TIMEOUT", DJANGO_SECRET_KEY="x") == "10"


def test_database_timeouts_are_read_from_the_environment():
    env = {"DJANGO_SECRET_KEY": "x", "DATABASE_CONNECT_TIMEOUT": "5"}
    assert setting("DATABASE_CONNECT_TIMEOUT", **env) == "5"
    env = {"DJANGO_SECRET_KEY": "x", "DATABASE_STATEMENT_TIMEOUT": "2.5"}
    assert setting("DATABASE_STATEMENT_TIMEOUT", **env) == "2.5"


def test_postgresql_options_given_in_the_database_url_are_kept():
    options = setting(
        "DATABASES['default']['OPTIONS']",
        DJANGO_SECRET_KEY="x",
        DATABASE_URL=POSTGRES_URL + "?sslmode=require",
    )
    assert options == "{'sslmode': 'require'}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "soon"),
        ("DATABASE_CONNECT_TIMEOUT", "1"),
        ("DATABASE_CONNECT_TIMEOUT", "2.5"),
        ("DATABASE_STATEMENT_TIMEOUT", "-1"),
        ("DATABASE_STATEMENT_TIMEOUT", "nan"),
        ("DATABASE_STATEMENT_TIMEOUT", "10s"),
    ],
)
def test_malformed_database_timeout_names_the_variable(name, value):
    result = start(DJANGO_SECRET_KEY="x", DATABASE_URL=POSTGRES_URL, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


# The shared cache ----------------------------------------------------------------------------


def cache_config(**env):
    return ast.literal_eval(setting("CACHES['default']", DJANGO_SECRET_KEY="x", **env))


def test_cache_is_each_processs_own_memory_unless_cache_url_is_set():
    assert cache_config()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert cache_config(CACHE_URL="")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_cache_url_selects_the_forgiving_redis_cache_with_short_timeouts():
    config = cache_config(CACHE_URL="redis://:secret@cache.example:6380/2")
    assert config["BACKEND"] == "archive.cache.ForgivingRedisCache"
    assert config["LOCATION"] == "redis://:secret@cache.example:6380/2"
    assert config["OPTIONS"] == {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}


def test_cache_keys_carry_the_release():
    config = cache_config(CACHE_URL="redis://cache.example/0")
    assert config["VERSION"] == settings.RELEASE


def test_cache_key_prefix_is_the_same_for_one_database_and_differs_between_two():
    cache_url = "redis://cache.example/0"
    one = cache_config(CACHE_URL=cache_url, DATABASE_URL=POSTGRES_URL)["KEY_PREFIX"]
    again = cache_config(CACHE_URL=cache_url, DATABASE_URL=POSTGRES_URL)["KEY_PREFIX"]
    other = cache_config(CACHE_URL=cache_url, DATABASE_URL=POSTGRES_URL + "_other")["KEY_PREFIX"]
    sqlite = cache_config(CACHE_URL=cache_url)["KEY_PREFIX"]
    assert one == again
    assert len({one, other, sqlite}) == 3
    assert "db.example" not in one  # no host name or path in Redis's key list


@pytest.mark.parametrize(
    "value",
    [
        "memcached://:s3cr3t-pw@cache.example:11211",
        "redis://:s3cr3t-pw@cache.example:notaport/0",
        "redis://:s3cr3t-pw@cache.example:6379/zero",
        "redis://:s3cr3t-pw@:6379/0",
        "rediss://:s3cr3t-pw@cache.example:99999/0",
        "unix://:s3cr3t-pw@",
        "s3cr3t-pw",
        "redis://:s3cr3t-pw@cache.example/0?socket_timeout=soon",
    ],
)
def test_malformed_cache_url_names_the_variable_and_not_the_password(value):
    result = start(DJANGO_SECRET_KEY="x", CACHE_URL=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CACHE_URL must be a Redis URL" in result.stderr
    assert "s3cr3t-pw" not in result.stderr


def test_cache_url_option_unknown_to_redis_py_is_named():
    result = start(DJANGO_SECRET_KEY="x", CACHE_URL="redis://:s3cr3t-pw@cache.example/0?timout=1")
    assert result.returncode != 0
    assert "CACHE_URL has options redis-py does not know: timout" in result.stderr
    assert "s3cr3t-pw" not in result.stderr


def test_cache_url_options_are_passed_to_redis_py():
    url = "redis://cache.example/0?socket_timeout=0.5&health_check_interval=30"
    assert cache_config(CACHE_URL=url)["LOCATION"] == url


# HTTPS ------------------------------------------------------------------------------------

# What docs/deployment.md ("HTTPS and headers") tells a deployment behind a TLS-terminating
# proxy to set; DJANGO_SECRET_KEY is a long random value there.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k7Vq2-production-like-secret-key-9fQm4Xc1Lp8Zr6Ty0Wb3Nd5Hs2Jg7Ue4",
    "DJANGO_ALLOWED_HOSTS": "archive.example",
    "DATABASE_URL": "postgres://archive@db.example/archive",
    "CACHE_URL": "redis://:secret@cache.example:6379/0",
    "DJANGO_HTTPS": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://archive.example",
}

# A request through Django's test client in the fresh interpreter: status, then headers.
# As in the test suite (conftest.py), pages render without collectstatic's manifest.
REQUEST = """
from django.conf import settings
from django.test import Client
settings.STORAGES = {{**settings.STORAGES, "staticfiles": {{
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
response = Client().get("/robots.txt", headers={headers}, secure={secure})
print(response.status_code)
for name, value in response.headers.items():
    print(f"{{name}}: {{value}}")
"""


def request(headers=None, secure=False, **env):
    env.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    result = start(REQUEST.format(headers=headers or {}, secure=secure), **env)
    assert result.returncode == 0, result.stderr
    status, *lines = result.stdout.splitlines()
    return int(status), dict(line.split(": ", 1) for line in lines)


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = start(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_settings_are_off_unless_asked_for():
    """`make run` and CI's smoke test serve plain http."""
    env = {"DJANGO_SECRET_KEY": "x"}
    assert setting("SECURE_SSL_REDIRECT", **env) == "False"
    assert setting("SECURE_HSTS_SECONDS", **env) == "0"
    assert setting("SESSION_COOKIE_SECURE", **env) == "False"
    assert setting("SECURE_PROXY_SSL_HEADER", **env) == "None"
    status, headers = request(**env)
    assert status == 200  # robots.txt reads no database
    assert "Strict-Transport-Security" not in headers


def test_https_redirects_plain_http_to_https():
    status, headers = request(DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1")
    assert status == 301
    assert headers["Location"] == "https://testserver/robots.txt"


def test_https_sends_hsts_for_a_year_with_subdomains_and_no_preload():
    status, headers = request(secure=True, DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1")
    assert status == 200  # robots.txt reads no database
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_options_are_read_from_the_environment():
    status, headers = request(
        secure=True,
        DJANGO_SECRET_KEY="x",
        DJANGO_HTTPS="1",
        DJANGO_HSTS_SECONDS="63072000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="0",
        DJANGO_HSTS_PRELOAD="1",
    )
    assert headers["Strict-Transport-Security"] == "max-age=63072000; preload"


@pytest.mark.parametrize(
    "name", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE"]
)
def test_https_marks_cookies_secure(name):
    assert setting(name, DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1") == "True"


@pytest.mark.parametrize("value", ["a year", "-1", "1.5"])
def test_malformed_hsts_seconds_names_the_variable(value):
    result = start(DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1", DJANGO_HSTS_SECONDS=value)
    assert result.returncode != 0
    assert "DJANGO_HSTS_SECONDS" in result.stderr


def test_forwarded_proto_is_ignored_unless_asked_for():
    """Without DJANGO_SECURE_PROXY_SSL_HEADER anyone could claim https with a header."""
    forwarded = {"x-forwarded-proto": "https"}
    status, _ = request(forwarded, DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1")
    assert status == 301


@pytest.mark.parametrize(
    ("value", "header"),
    [("1", "X-Forwarded-Proto"), ("true", "X-Forwarded-Proto"), ("X-Scheme", "X-Scheme")],
)
def test_proxy_ssl_header_takes_the_proxys_word_for_https(value, header):
    env = {"DJANGO_SECRET_KEY": "x", "DJANGO_HTTPS": "1", "DJANGO_SECURE_PROXY_SSL_HEADER": value}
    status, headers = request({header.lower(): "https"}, **env)
    assert status == 200  # robots.txt reads no database
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    status, _ = request({header.lower(): "http"}, **env)
    assert status == 301


@pytest.mark.parametrize("value", ["X Forwarded Proto", "X-Forwarded-Proto: https", "-"])
def test_malformed_proxy_ssl_header_names_the_variable(value):
    result = start(DJANGO_SECRET_KEY="x", DJANGO_SECURE_PROXY_SSL_HEADER=value)
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER" in result.stderr


def test_csrf_trusted_origins_are_read_comma_separated():
    origins = setting(
        "CSRF_TRUSTED_ORIGINS",
        DJANGO_SECRET_KEY="x",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://archive.example, https://www.archive.example:8443",
    )
    assert origins == "['https://archive.example', 'https://www.archive.example:8443']"


@pytest.mark.parametrize("value", ["archive.example", "https://archive.example/admin/", "ftp://x"])
def test_malformed_csrf_trusted_origin_names_the_variable(value):
    result = start(DJANGO_SECRET_KEY="x", DJANGO_CSRF_TRUSTED_ORIGINS=value)
    assert result.returncode != 0
    assert "DJANGO_CSRF_TRUSTED_ORIGINS" in result.stderr
