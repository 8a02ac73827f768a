"""Helpers for tests that run the platform's own processes: manage.py commands, servers
and workers in subprocesses, and waiting for what they do."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run`'s embedded default (SQLite, the folder broker) in
    `var_dir`, without the suite's own database, broker, key or debug setting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        CELERY_BROKER_DIR=str(var_dir / "broker"),
        **extra,
    )
    return env


def no_database_env() -> dict[str, str]:
    """An environment whose database and broker are nowhere: for the commands that must
    run without one (`analyze_csv`, `plan`), so that any query on their path fails."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL="postgres://nobody:nothing@127.0.0.1:9/nowhere",
        SECRET_KEY="x" * 50,
        REDIS_URL="",
    )


def run_manage(env, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a subprocess with `env`, whatever it answers."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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
        [sys.executable, "-m", "config.launcher", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
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


def database_url() -> str:
    """The test database, as the worker must reach it."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


def queue_of(tmp_path: Path) -> str:
    """A queue of the test's own: on a shared Redis no other worker can take its tasks."""
    return "analysis-test-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:12]


def environment(
    tmp_path: Path, maintenance_seconds: int = 3600, **analysis_settings
) -> dict[str, str]:
    """Subprocess environment: the test database, a broker folder of the test's own, the
    test's media folder, the analysis settings given (as a settings module) and the
    maintenance schedule's interval (long, unless a test is about it)."""
    from django.conf import settings

    module = f"worker_settings_{len(list(tmp_path.glob('worker_settings_*.py')))}"
    queue = queue_of(tmp_path)
    lines = [
        "from config.settings import *  # noqa: F403",
        f"CELERY_TASK_DEFAULT_QUEUE = {queue!r}",
    ]
    lines += [f"BLINDRATE_ANALYSIS_{key} = {value!r}" for key, value in analysis_settings.items()]
    (tmp_path / f"{module}.py").write_text("\n".join(lines) + "\n")
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE=module,
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        DATABASE_URL=database_url(),
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SECRET_KEY=os.environ.get("SECRET_KEY", "x" * 50),
        MAINTENANCE_SECONDS=str(maintenance_seconds),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
    )


@contextmanager
def worker(env: dict[str, str], *, app: str = "config", beat: bool = False):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            *(["-B"] if beat else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        stop_group(process)
