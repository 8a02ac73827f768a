"""Rater load: gunicorn + PostgreSQL on loopback, C concurrent simulated raters running
consent -> rate -> ... -> done over real HTTP.

Prints ratings/s and p50/p95/p99 of one rating cycle (the rating POST, which answers with
the next page; after the last item, its redirect to the done page too),
and, in the same run on the same server, the same figures for a trivial Django view
(/healthz/), with the ratio. Target on a 2-core machine: at 50 concurrent raters the rating
cycle reaches at least half the trivial view's throughput, with p99 under 100 ms.

It also measures the floor of a rating request in this stack (bench/floor/floor_urls.py):
the same CSRF-checked POST and rating template with one database round trip and none of
the rating's work. No implementation of the rating page on this server can beat it. The
server runs with bench/floor/floor_settings.py: the platform's settings and URLs, with
that one URL in front.

    .venv/bin/python bench/rater_load.py [--concurrency 50] [--seconds 20]

It creates (and drops) the database `blindrate_bench` on the local PostgreSQL server.
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
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ITEM = re.compile(r'name="item" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SETUP = """
from studies import services
from studies.importing import samples_import
from studies.researchers import researcher_ensure
owner, _ = researcher_ensure(username="bench")
groups = [{"key": k, "label": k} for k in ("human", "ai", "collaboration")]
study = services.study_create(owner=owner, slug="load", title="Load", groups=groups,
    samples_per_rater=20, ratings_per_sample=200, attention_check_rate=0)
lines = ["group,text,brief"] + [
    f"{g},Sample {i} of a load test: a short poem about the sea.,b{i % 50}"
    for i, g in enumerate(("human", "ai", "collaboration") * 300)]
samples_import(study=study, file_name="load.csv", data="\\n".join(lines).encode())
services.study_open(study=study)
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")  # as autovacuum would soon after an import
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Session:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Host": "127.0.0.1", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "http://127.0.0.1"
            headers["Referer"] = f"http://127.0.0.1{path}"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location"), data.decode()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def trivial_worker(port: int, stop: float, latencies: list, errors: list) -> None:
    session = Session(port)
    while time.monotonic() < stop:
        start = time.perf_counter()
        status, _, _ = session.request("GET", "/healthz/")
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(status)


def floor_worker(port: int, stop: float, latencies: list, errors: list) -> None:
    session = Session(port)
    status, _, page = session.request("GET", "/bench-floor/")
    while time.monotonic() < stop:
        form = {"item": ITEM.search(page).group(1), "quality": str(1 + len(latencies) % 10),
                "csrfmiddlewaretoken": CSRF.search(page).group(1)}  # fmt: skip
        start = time.perf_counter()
        status, _, page = session.request("POST", "/bench-floor/", form)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(status)
            break


def rater_worker(port: int, stop: float, latencies: list, errors: list) -> None:
    while time.monotonic() < stop:
        session = Session(port)
        entry = f"/s/load/?PROLIFIC_PID={secrets.token_hex(6)}"
        status, _, page = session.request("GET", entry)
        token = CSRF.search(page).group(1)
        session.request("POST", entry, {"consent": "yes", "csrfmiddlewaretoken": token})
        status, _, page = session.request("GET", "/s/load/rate/")
        while time.monotonic() < stop:
            match = ITEM.search(page)
            if status != 200 or match is None:
                break  # finished: on to a new participant
            form = {"item": match.group(1), "quality": str(1 + len(latencies) % 10),
                    "csrfmiddlewaretoken": CSRF.search(page).group(1)}  # fmt: skip
            start = time.perf_counter()
            # The POST answers with the next item, or sends the last one to the done page.
            status, location, page = session.request("POST", "/s/load/rate/", form)
            if status == 303:
                status, _, page = session.request("GET", location)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
                break


def measure(name, target, port, concurrency, seconds) -> dict:
    latencies: list[float] = []
    errors: list = []
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=target, args=(port, stop, latencies, errors))
               for _ in range(concurrency)]  # fmt: skip
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    result = {
        "name": name, "count": len(latencies), "per_second": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000, "p95": percentile(latencies, 0.95) * 1000,
        "p99": percentile(latencies, 0.99) * 1000, "errors": len(errors),
    }  # fmt: skip
    print(f"{name:<28} {result['per_second']:8.1f}/s   p50 {result['p50']:6.1f} ms   "
          f"p95 {result['p95']:6.1f} ms   p99 {result['p99']:6.1f} ms   "
          f"n={result['count']}  errors={result['errors']}", flush=True)  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    args = parser.parse_args()
    database = "blindrate_bench"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
                    "-c", f"CREATE DATABASE {database}"], check=True)  # fmt: skip
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
           "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
           "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
           "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    env.pop("REDIS_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True)
    env.update(DJANGO_SETTINGS_MODULE="floor_settings", PYTHONPATH=str(ROOT / "bench" / "floor"))
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(args.workers), "--threads",
         str(args.threads), "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                Session(port).request("GET", "/healthz/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        print(f"gunicorn gthread {args.workers}x{args.threads} + PostgreSQL, "
              f"{args.concurrency} concurrent clients, {args.seconds:g} s each, "
              f"{os.cpu_count()} cores", flush=True)  # fmt: skip
        measure("warm-up", rater_worker, port, args.concurrency, 3)
        trivial = measure("trivial view (/healthz/)", trivial_worker, port, args.concurrency,
                          args.seconds)  # fmt: skip
        rating = measure("rating cycle (POST + next)", rater_worker, port, args.concurrency,
                         args.seconds)  # fmt: skip
        floor = measure("floor (POST, 1 query, page)", floor_worker, port, args.concurrency,
                        args.seconds)  # fmt: skip
        ratio = rating["per_second"] / trivial["per_second"]
        print(
            f"ratio rating/trivial: {ratio:.2f} (target >= 0.50); "
            f"rating p99 {rating['p99']:.1f} ms (target < 100 ms)"
        )
        print(
            f"ratio floor/trivial: {floor['per_second'] / trivial['per_second']:.2f}; "
            f"rating/floor: {rating['per_second'] / floor['per_second']:.2f}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
