"""A real Celery worker process consumes from the configured broker: the filesystem one by
default, Redis when REDIS_URL is set (as in CI)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import worker

ROOT = Path(__file__).resolve().parent.parent


def worker_env(broker_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_BROKER_DIR=str(broker_dir),
        SECRET_KEY=env.get("SECRET_KEY", "x" * 50),
        **extra,
    )
    return env


@pytest.fixture
def running_worker(tmp_path):
    env = worker_env(tmp_path / "broker")
    with worker(env):
        yield env


def test_a_worker_answers_a_task_sent_through_the_configured_broker(running_worker):
    result = subprocess.run(
        [sys.executable, "manage.py", "check_worker", "--timeout", "60"],
        cwd=ROOT,
        env=running_worker,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "worker answered: pong"


def test_without_a_worker_the_check_says_so(tmp_path):
    env = worker_env(tmp_path / "empty-broker", REDIS_URL="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check_worker", "--timeout", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no worker answered within 2 s" in result.stderr
