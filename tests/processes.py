"""Helpers for tests that run the platform's own processes: manage.py commands, servers
and workers in subprocesses, and waiting for what they do."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run`'s embedded default (SQLite, the folder broker) in
    `var_dir`, without the suite's own database, broker, key or debug setting."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL",
                                                             "SECRET_KEY", "DEBUG"}}  # fmt: skip
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", VAR_DIR=str(var_dir),
               MEDIA_ROOT=str(var_dir / "media"), CELERY_BROKER_DIR=str(var_dir / "broker"),
               **extra)  # fmt: skip
    return env


def run_manage(env, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a subprocess with `env`, whatever it answers."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip


def manage(env, *args: str, timeout: float = 180) -> str:
    """`manage.py ARGS`, which must succeed; its output."""
    result = run_manage(env, *args, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_until(predicate, *, seconds: float, what: str):
    """Poll `predicate` until it returns something true, and return that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")


def url_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:  # refused, reset, or slow to answer while it starts (timed out)
        return False


def wait_for_url(url: str, seconds: float = 60) -> None:
    wait_until(lambda: url_answers(url), seconds=seconds, what=f"{url} to answer")
