"""Ratings export through the API: gunicorn + PostgreSQL on loopback, one study with N
ratings (1M by default), `GET /api/studies/<slug>/ratings/?format=csv` with a token.

Prints rows/s and MB/s of the streamed CSV, and the peak memory (VmHWM) of the gunicorn
worker process that served it, before and after. The CSV is written by the one writer,
`ratings.export` (Python over a server-side cursor). Target (issue 11): at least 100k
rows/s with the worker's peak under 200 MB at 1M ratings. The first export warms the
caches; the verdict is on the slowest of the others, as the machine may be shared.

    .venv/bin/python bench/export.py [--ratings 1000000] [--repeat 4] [--database NAME]

It creates (and drops) the database `blindrate_bench_export` (or NAME) on the local
PostgreSQL server; the ratings are written with INSERT ... SELECT over generate_series, not through
the rater pages (bench/rater_load.py measures those).
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE = "blindrate_bench_export"
SLUG = "export-bench"
SAMPLES_PER_GROUP = 100
PER_PARTICIPANT = 100
SETUP = """
import os

from django.db import connection
from rest_framework.authtoken.models import Token
from studies import services
from studies.importing import samples_import
from studies.researchers import researcher_ensure

slug, ratings = os.environ["BENCH_SLUG"], int(os.environ["BENCH_RATINGS"])
per, samples = int(os.environ["BENCH_PER"]), int(os.environ["BENCH_SAMPLES"])
owner, _ = researcher_ensure(username="bench")
groups = [{"key": k, "label": k} for k in ("human", "ai", "collaboration")]
study = services.study_create(owner=owner, slug=slug, title="Export", groups=groups,
    samples_per_rater=per, ratings_per_sample=100000, attention_check_rate=0)
lines = ["group,text,brief"] + [
    f"{g},Sample {i} of the export benchmark: a short poem about the sea.,b{i % 50}"
    for i, g in enumerate(("human", "ai", "collaboration") * samples)]
samples_import(study=study, file_name="export.csv", data="\\n".join(lines).encode())
services.study_open(study=study)
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO ratings_participant (study_id, pseudonym, external_id, external_study_id,"
        " external_session_id, session_key, status, seed, consented_at, flags, is_simulated,"
        " created_at, finished_at)"
        " SELECT %s, md5('bench-p-' || g), '', '', '', '', 'completed', g, now(), '{}', true,"
        " now(), now() FROM generate_series(1, %s) g", [study.pk, ratings // per])
    cursor.execute(
        "WITH s AS (SELECT array_agg(id ORDER BY id) AS ids FROM studies_sample"
        "           WHERE study_id = %s),"
        "     p AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ratings_participant"
        "           WHERE study_id = %s)"
        " INSERT INTO ratings_assignment (participant_id, sample_id, token, position,"
        " served_at, lease_expires_at, submitted_at, holds_slot)"
        " SELECT p.id, s.ids[1 + ((p.n * 37 + k) %% cardinality(s.ids))],"
        " md5('bench-a-' || p.id || '-' || k), k, now(), now() + interval '30 minutes', now(),"
        " true"
        " FROM p, s, generate_series(0, %s - 1) k", [study.pk, study.pk, per])
    cursor.execute(
        "INSERT INTO ratings_rating (assignment_id, criterion, score, guess, seconds,"
        " created_at)"
        " SELECT a.id, 'quality', 1 + (a.id %% 10), CASE WHEN a.id %% 3 = 0 THEN 'ai'"
        " ELSE '' END, round((3 + (a.id %% 997) / 17.0)::numeric, 3),"
        " now() - (a.id %% 100000) * interval '1 second'"
        " FROM ratings_assignment a JOIN ratings_participant p ON p.id = a.participant_id"
        " WHERE p.study_id = %s", [study.pk])
    cursor.execute("ANALYZE")
token, _ = Token.objects.get_or_create(user=owner)
print("TOKEN", token.key)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vm_hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def export(port: int, token: str) -> tuple[int, int, float, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request(
        "GET",
        f"/api/studies/{SLUG}/ratings/?format=csv",
        headers={"Authorization": f"Token {token}"},
    )
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {response.read()[:500]!r}")
    lines = size = 0
    first = b""
    while chunk := response.read(1 << 20):
        if not first:
            first = chunk[:200]
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - started
    connection.close()
    return lines - 1, size, elapsed, first.split(b"\n", 1)[0].decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=4, help="exports, the first one warms")
    parser.add_argument("--keep", action="store_true", help="keep the database (to profile)")
    parser.add_argument("--database", default=DATABASE, help="created, and dropped after")
    args = parser.parse_args()
    database = args.database
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run(
        [
            *psql,
            "-c",
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {database}",
        ],
        check=True,
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    server = None
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        sizes = {
            "BENCH_SLUG": SLUG,
            "BENCH_RATINGS": str(args.ratings),
            "BENCH_PER": str(PER_PARTICIPANT),
            "BENCH_SAMPLES": str(SAMPLES_PER_GROUP),
        }
        made = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env={**env, **sizes},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        token = re.search(r"TOKEN (\w+)", made.stdout).group(1)
        print(
            f"{args.ratings} ratings written in {time.perf_counter() - started:.1f} s", flush=True
        )
        port = free_port()
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        worker = worker_pid(server.pid)
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz/live/")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        print(
            f"gunicorn sync worker (pid {worker}) + PostgreSQL, {os.cpu_count()} cores; "
            f"worker peak memory before: {vm_hwm_mb(worker):.1f} MB",
            flush=True,
        )
        rates = []
        for attempt in range(1, args.repeat + 1):
            rows, size, elapsed, header = export(port, token)
            rates.append(rows / elapsed)
            print(
                f"export {attempt}: {rows} rows, {size / 1e6:.1f} MB in {elapsed:.2f} s: "
                f"{rows / elapsed:,.0f} rows/s, {size / 1e6 / elapsed:.1f} MB/s; worker peak "
                f"memory {vm_hwm_mb(worker):.1f} MB",
                flush=True,
            )
            assert rows == args.ratings, f"expected {args.ratings} rows, got {rows}"
            assert header.startswith("rating,study,participant,sample"), header
        measured = rates[1:] or rates
        slowest, peak = min(measured), vm_hwm_mb(worker)
        verdict = "met" if slowest >= 100_000 and peak < 200 else "NOT met"
        print(
            f"{len(measured)} measured exports: {slowest:,.0f}-{max(measured):,.0f} rows/s, "
            f"worker peak {peak:.1f} MB; target >= 100,000 rows/s with peak < 200 MB: "
            f"{verdict}"
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
