"""Settings come from the environment; a bad one stops the start with one line naming it."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTROLLED = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "MEDIA_MAX_BYTES",
}
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
        (
            {"SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://h:port/db"},
            "DATABASE_URL",
            "cannot parse",
        ),
        ({"SECRET_KEY": "k" * 50, "DATABASE_URL": "mysql://h/db"}, "DATABASE_URL", "cannot use"),
        ({"SECRET_KEY": "k" * 50, "REDIS_URL": "localhost:6379"}, "REDIS_URL", "redis://"),
        ({"SECRET_KEY": "k" * 50, "DEBUG": "maybe"}, "DEBUG", "expected true or false"),
        ({"SECRET_KEY": "k" * 50, "MEDIA_MAX_BYTES": "20MB"}, "MEDIA_MAX_BYTES", "whole number"),
    ],
    ids=["no-secret", "unparsable-db", "bad-port", "unsupported-db", "redis", "debug", "int"],
)
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
        {
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": "postgres://u:p@db.internal:5433/studies",
            "REDIS_URL": "redis://cache:6379/2",
        },
        expr="settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'], "
        "settings.DATABASES['default']['PORT'], settings.CELERY_BROKER_URL, settings.DEBUG",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.internal",
        "5433",
        "redis://cache:6379/2",
        "False",
    ]


CELERY_AND_CONNECTIONS = (
    "(lambda conf, db: (conf.task_acks_late, conf.task_reject_on_worker_lost, "
    "conf.worker_prefetch_multiplier, conf.broker_transport_options['visibility_timeout'], "
    "conf.broker_connection_max_retries, settings.BLINDRATE_ANALYSIS_TIME_LIMIT, "
    "db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS']))"
    "(__import__('config.celery').celery.app.conf, settings.DATABASES['default'])"
)


@pytest.mark.parametrize(("soft", "hard"), [(None, None), ("3000", "3600")])
def test_the_celery_app_and_the_connections_are_set_for_failures(soft, hard):
    """What the Celery app really uses on Redis (README, "When a part fails"): a message is
    acknowledged when its job ends and given back when its worker dies, one job reserved
    per worker process, a visibility timeout above the analysis's hard time limit (or a job
    still running would be delivered twice), a worker that reconnects for as long as the
    broker is away; and database connections checked before reuse, so that processes
    recover from a PostgreSQL restart by themselves."""
    limits = {"ANALYSIS_SOFT_TIME_LIMIT": soft, "ANALYSIS_TIME_LIMIT": hard} if hard else {}
    result = start(
        {
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": "postgres://u:p@db.internal:5433/studies",
            "REDIS_URL": "redis://cache:6379/2",
            **limits,
        },
        expr=CELERY_AND_CONNECTIONS,
    )
    assert result.returncode == 0, result.stderr
    acks_late, reject, prefetch, visibility, retries, limit, age, checks = ast.literal_eval(
        result.stdout
    )
    assert (acks_late, reject, prefetch, retries) == (True, True, 1, None)
    assert limit == int(hard or limit) and visibility > limit
    assert age > 0 and checks is True


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


def test_make_install_writes_the_checkouts_development_settings_once(tmp_path):
    """`python -m config.local` (what `make install` runs) writes DEBUG on and a generated
    key, readable by the owner alone, and keeps the file (and its key) on later runs."""
    local = tmp_path / ".env.local"
    env = {**os.environ, "BLINDRATE_LOCAL_ENV": str(local)}

    def install() -> str:
        return subprocess.run(
            [sys.executable, "-m", "config.local"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    assert "wrote local settings" in install()
    first = local.read_text()
    assert "kept local settings" in install()
    assert local.read_text() == first
    assert "DEBUG=true" in first.splitlines()
    key = next(line for line in first.splitlines() if line.startswith("SECRET_KEY="))
    assert len(key.removeprefix("SECRET_KEY=")) >= 50
    assert local.stat().st_mode & 0o777 == 0o600


def test_a_checkout_with_development_settings_starts_without_any_variable(tmp_path):
    local = tmp_path / ".env.local"
    local.write_text("DEBUG=true\nSECRET_KEY=from-the-local-file-0123456789\n")
    result = start({"BLINDRATE_LOCAL_ENV": str(local)}, expr="settings.DEBUG, settings.SECRET_KEY")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "from-the-local-file-0123456789"]


def test_the_real_environment_wins_over_the_development_settings(tmp_path):
    """A deployment that sets DEBUG=false still needs a real SECRET_KEY of its own: the
    checkout's file gives DEBUG=true only where nothing else says otherwise."""
    local = tmp_path / ".env.local"
    local.write_text("DEBUG=true\nSECRET_KEY=from-the-local-file-0123456789\n")
    result = start(
        {"BLINDRATE_LOCAL_ENV": str(local), "DEBUG": "false", "SECRET_KEY": "k" * 50},
        expr="settings.DEBUG, settings.SECRET_KEY",
    )
    assert result.stdout.split() == ["False", "k" * 50]


def test_without_development_settings_a_missing_key_still_stops_the_start():
    result = start({"BLINDRATE_LOCAL_ENV": ""})
    assert result.returncode == 1
    assert "SECRET_KEY: required when DEBUG is off" in result.stderr


def test_dot_env_wins_over_the_development_settings(tmp_path):
    """Production's `.env` comes before `.env.local`: a checkout that later holds a real
    `.env` with DEBUG=false never runs with the development file's DEBUG=true."""
    from config.environment import Environment

    production, development = tmp_path / ".env", tmp_path / ".env.local"
    production.write_text("DEBUG=false\nSECRET_KEY=production-key\n")
    development.write_text("DEBUG=true\nSECRET_KEY=development-key\nLOG_LEVEL=DEBUG\n")
    env = Environment(env_files=(production, development), source={})
    assert env.bool("DEBUG", default=True) is False
    assert env.str("SECRET_KEY", default="") == "production-key"
    assert env.str("LOG_LEVEL", default="INFO") == "DEBUG"
    assert Environment(env_files=(production, development), source={"DEBUG": "true"}).bool(
        "DEBUG", default=False
    )
