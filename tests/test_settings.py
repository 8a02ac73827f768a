"""Settings come from the environment; a bad one stops the start with one line naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTROLLED = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS",
              "SECURE_SSL_REDIRECT", "MEDIA_MAX_BYTES"}  # fmt: skip
LOAD = "import django; django.setup(); from django.conf import settings; print({expr})"


def start(env: dict[str, str], expr: str = "'started'") -> subprocess.CompletedProcess:
    """Load the real settings in a fresh process, as manage.py, gunicorn and celery do."""
    clean = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", LOAD.format(expr=expr)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({}, "SECRET_KEY", "required when DEBUG is off"),
        ({"SECRET_KEY": "k" * 50, "DATABASE_URL": "not a url"}, "DATABASE_URL", "cannot use"),
        ({"SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://h:port/db"}, "DATABASE_URL",
         "cannot parse"),
        ({"SECRET_KEY": "k" * 50, "DATABASE_URL": "mysql://h/db"}, "DATABASE_URL", "cannot use"),
        ({"SECRET_KEY": "k" * 50, "REDIS_URL": "localhost:6379"}, "REDIS_URL", "redis://"),
        ({"SECRET_KEY": "k" * 50, "DEBUG": "maybe"}, "DEBUG", "expected true or false"),
        ({"SECRET_KEY": "k" * 50, "MEDIA_MAX_BYTES": "20MB"}, "MEDIA_MAX_BYTES",
         "whole number"),
    ],
    ids=["no-secret", "unparsable-db", "bad-port", "unsupported-db", "redis", "debug", "int"],
)  # fmt: skip
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(env, variable, words):
    result = start(env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"blindrate configuration error: {variable}: ")
    assert words in lines[0]


def test_the_embedded_default_is_sqlite_and_the_filesystem_broker():
    result = start(
        {"DEBUG": "true"},
        expr="settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, "
        "settings.SECRET_KEY.startswith('django-insecure')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3 filesystem:// True"


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    result = start(
        {"SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://u:p@db.internal:5433/studies",
         "REDIS_URL": "redis://cache:6379/2"},
        expr="settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'], "
        "settings.DATABASES['default']['PORT'], settings.CELERY_BROKER_URL, settings.DEBUG",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "db.internal", "5433", "redis://cache:6379/2", "False"
    ]  # fmt: skip


def test_debug_off_by_default_means_secure_cookies_and_https_redirects():
    result = start(
        {"SECRET_KEY": "k" * 50},
        expr="settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT",
    )
    assert result.stdout.split() == ["False", "True", "True"]


def test_a_scale_step_too_small_for_the_range_is_a_clear_problem(db):
    """A step like 1e-313 once overflowed the count of scale points."""
    from studies.design import settings_problems
    from studies.models import Study

    study = Study(slug="s", title="t", scale_min=1, scale_max=10, scale_step=1e-313)
    assert settings_problems(study)["scale_step"].startswith("is too small for the range")
