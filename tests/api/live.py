"""A live blindrate server for the tests that talk HTTP to it (schemathesis, the docs'
example): gunicorn on loopback with the demo loaded, a researcher and their token.

It runs on a database of its own: SQLite in a temporary folder, or, when the suite runs
on PostgreSQL (DATABASE_URL), a fresh PostgreSQL database that is dropped afterwards.
"""

import contextlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.processes import ROOT, free_port, manage, stop_group, wait_for_url

TOKEN = re.compile(r"Generated token (\w+) for user")


@contextlib.contextmanager
def _database(var_dir: Path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield f"sqlite:///{var_dir / 'live.sqlite3'}"
        return
    parts = urlsplit(url)
    name = f"blindrate_live_{os.getpid()}_{secrets.token_hex(3)}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def live_server(var_dir: Path, *, raters: int = 6, **extra_env: str):
    """Yield {"url", "token", "env", "log"} of a running server; stop it afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with _database(var_dir) as database_url:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            DATABASE_URL=database_url,
            SECRET_KEY=secrets.token_urlsafe(40),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            VAR_DIR=str(var_dir),
            MEDIA_ROOT=str(var_dir / "media"),
            CELERY_BROKER_DIR=str(var_dir / "broker"),
            LOG_LEVEL="WARNING",
            **extra_env,
        )
        manage(env, "migrate", "--noinput")
        manage(env, "demo", "--raters", str(raters))
        manage(env, "researcher", "researcher")
        token = TOKEN.search(manage(env, "drf_create_token", "researcher")).group(1)
        port = free_port()
        log = var_dir / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    # Django, not gunicorn, answers long URLs (a 414 is not the API's).
                    "--limit-request-line",
                    "0",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_url(f"http://127.0.0.1:{port}/healthz/")
            yield {"url": f"http://127.0.0.1:{port}", "token": token, "env": env, "log": log}
        finally:
            stop_group(server)
