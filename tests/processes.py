"""Helpers for tests that run the platform's own processes: manage.py commands, servers
and workers in subprocesses, and waiting for what they do."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
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


@contextmanager
def demo_platform(var_dir: Path, *, raters: int = 12):
    """The platform as `make run` starts it: migrations, the demo, the researcher login, then
    the launcher's web server and worker on a free port; stopped as Ctrl-C stops it."""
    env = embedded_env(var_dir)
    manage(env, "migrate", "--noinput")
    manage(env, "demo", "--raters", str(raters))
    login = manage(env, "researcher")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "config.launcher", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/healthz/")
        yield {"env": env, "port": port, "url": url, "login": login, "process": process}
    finally:
        stop_group(process, signal.SIGINT, seconds=30)


def stop_group(process: subprocess.Popen, how: int = signal.SIGTERM, seconds: float = 20) -> None:
    """Stop a process started with `start_new_session=True` and everything it started:
    `how` to its process group, then SIGKILL if it has not ended within `seconds`."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, how)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
