"""The fault drill's PostgreSQL restarts on the real stack (bench/faults.py): raters rate
through gunicorn while the database restarts, once cleanly and once as a crash, and every
rating answered with success is there once, none answered with an error is.

It starts a PostgreSQL cluster, Redis, gunicorn and a Celery worker of its own, so it runs
where the suite runs on PostgreSQL (CI), as root, with PostgreSQL's and Redis's server
programs; about half a minute. The other faults stay in the drill (README, "Faults").
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ON_POSTGRESQL, ROOT

pytestmark = pytest.mark.skipif(
    not (
        ON_POSTGRESQL
        and os.geteuid() == 0
        and shutil.which("pg_createcluster")
        and shutil.which("redis-server")
    ),
    reason="needs PostgreSQL's and Redis's server programs and root, as CI has",
)
LINE = re.compile(
    r"failed requests +(\d+) +ratings flowing again after +([\d.]+) s +lost (\d+) +"
    r"duplicated (\d+) +stored for an error (\d+) +ok"
)


def test_ratings_survive_postgresql_restarts_exactly_once():
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [
            sys.executable,
            "bench/faults.py",
            "--only",
            "postgres,postgres-immediate",
            "--rate",
            "10",
            "--settle",
            "3",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = [LINE.search(line) for line in done.stdout.splitlines() if "postgres restart" in line]
    assert len(lines) == 2 and all(lines), output
    for found in lines:
        _, seconds, lost, duplicated, for_error = found.groups()
        assert (lost, duplicated, for_error) == ("0", "0", "0")
        assert float(seconds) < 30
    assert "every check held" in done.stdout
