"""Settings are read from the environment; a bad value stops start-up naming the variable."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def start(code="", **env):
    """Start Django in a fresh interpreter with only the given configuration."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
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
