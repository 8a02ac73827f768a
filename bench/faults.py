"""Fault drill: the production-like stack under rating load while its parts fail, one at a
time; nothing a rater was told was saved may be lost, nothing may be stored twice.

The script starts its own stack on loopback: a PostgreSQL cluster of its own
(pg_createcluster, dropped at the end), a Redis server without persistence, gunicorn (sync
workers, as the image runs it), one Celery worker and Celery beat (the maintenance
schedule, which reaps analyses of dead workers and lost messages), with media on a small
tmpfs. Raters
(browsers of their own: cookies, CSRF, consent, arriving by a Prolific link) rate
throughout at about --rate ratings/s; a rater who gets an error answer or none waits
(Retry-After) and sends the same form again, as the 503 page's button does, and a rater at
the end of the study is replaced by a new one. A rater refused (a 4xx), or failing for
GIVE_UP seconds, is stuck, which fails the drill. Then, one at a time:

  1. postgres restart            pg_ctlcluster ... restart (fast shutdown)
  2. postgres restart immediate  pg_ctlcluster ... restart -m immediate (a crash)
  3. redis restart               an analysis queued while the worker is stopped; Redis
                                 restarted without persistence, so its message is lost
  4. gunicorn worker SIGKILL     one web worker, in the middle of requests
  5. celery worker SIGKILL       the process running an analysis, in the middle of it
  6. media volume full           an import with media larger than the volume

After each fault it waits for ratings to flow again, then checks, on everything so far:
every rating POST answered with success is stored exactly once; no rating is stored
inside the time of a POST that got an error answer (a rating's `created_at` lies within
the POST that stored it); no answer was a 500, a traceback or Django's debug page; the
analyses end `succeeded` (or `failed` with a message) and none stays queued or running;
the lost message was in Redis before the restart and not after, was sent again and its
analysis ran once; the killed worker's analysis was started exactly twice; the import
stored all or nothing and left no file behind. At the end, every rater who saw
an error finishes the study and gets the completion code. One line per fault: requests
that failed, seconds until ratings flowed again, ratings lost and duplicated (both must
be 0). The exit status is 0 only when every check held.

    .venv/bin/python bench/faults.py [--rate 30] [--settle 8] [--only postgres,redis,...]

Needs root (a cluster, a tmpfs mount) and PostgreSQL's and Redis's server programs, as on
this project's machines; about 2 minutes. A machine that refuses the tmpfs mount skips
fault 6 and says why.
"""

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from load.client import HOST, Browser

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SLUG = "drill"
GROUPS = ("human", "ai", "collaboration")
# A name of this run: two drills at once (a CI job and a bench run) never touch each other.
CLUSTER = f"blindrate_faults_{os.getpid()}"
COMPLETION_CODE = "DRILL-DONE"
ITEM = re.compile(r'name="item" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT_FORM = re.compile(r'name="form" value="([^"]+)"')
CODE = re.compile(r'id="code">([^<]+)<')
TIMEOUT = 10.0
NOTICE = re.compile(r'role="alert">([^<]+)<')
GIVE_UP = 120.0  # seconds a rater keeps sending while the answers are failures
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|id=\"traceback\"|Django Version")
FAULTS = ("postgres", "postgres-immediate", "redis", "gunicorn", "celery", "media")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, **kwargs)


# --- What the raters did. ---


@dataclass(slots=True)
class Post:
    """One rating POST: the item, when it was sent and answered (wall clock, to compare
    with the ratings' created_at), and the answer (0: none, the connection failed)."""

    rater: int
    item: str
    sent: float
    ended: float = 0.0
    status: int = 0
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in (200, 303)


@dataclass
class Log:
    posts: list[Post] = field(default_factory=list)

    def answered(self) -> list[Post]:
        """The POSTs answered (or given up on) so far, as they are now."""
        return [replace(p) for p in self.posts if p.ended]

    failures: list[tuple[float, str]] = field(default_factory=list)  # (time, what) of any request
    server_errors: list[str] = field(default_factory=list)  # a 500 or a traceback
    saw_error: set[int] = field(default_factory=set)  # raters who got an error or no answer
    finished: dict[int, str] = field(default_factory=dict)  # rater -> completion code
    stuck: list[str] = field(default_factory=list)  # raters who could not go on, and why
    seated: int = 0  # seats whose first rater has joined


class Stuck(Exception):
    """A rater who cannot go on: a refusal, or failures for longer than GIVE_UP."""


class Rater(Browser):
    def __init__(self, port: int, number: int, log: Log) -> None:
        super().__init__(port, keep_alive=0)  # a new connection each time, as sync workers do
        self.number, self.log = number, log
        self.item = self.csrf = ""
        self.done = False

    async def request(self, method: str, path: str, form: dict | None = None):
        """One request, its failure logged: (status, location, page); status 0 for none."""
        try:
            status, location, page = await asyncio.wait_for(self.fetch(method, path, form), TIMEOUT)
        except Exception as error:
            self.connection.close()
            self.log.failures.append((time.time(), f"{method} {path}: {type(error).__name__}"))
            self.log.saw_error.add(self.number)
            return 0, None, ""
        if status >= 500 or TRACEBACK.search(page):
            if status != 503 or TRACEBACK.search(page):
                self.log.server_errors.append(f"{method} {path}: {status} {page[:200]!r}")
            self.log.failures.append((time.time(), f"{method} {path}: {status}"))
            self.log.saw_error.add(self.number)
        return status, location, page

    async def until(self, method: str, path: str, form=None, ok=(200, 303)):
        """Send until the answer is one of `ok`, waiting as the 503 page asks, while the
        answers are failures (none, or 5xx) and for at most GIVE_UP seconds. Any other
        answer is a refusal that sending again cannot change: the rater is stuck."""
        deadline = time.monotonic() + GIVE_UP
        while True:
            status, location, page = await self.request(method, path, form)
            if status in ok:
                return status, location, page
            if not (status == 0 or status >= 500) or time.monotonic() > deadline:
                notice = NOTICE.search(page)
                said = notice.group(1) if notice else page[:120]
                raise Stuck(f"rater {self.number}: {method} {path} answered {status}: {said}")
            await asyncio.sleep(1.0 if status in (0, 503) else 2.0)

    def read(self, page: str) -> None:
        item, csrf = ITEM.search(page), CSRF.search(page)
        if item is None or csrf is None:
            raise RuntimeError(f"rater {self.number}: no item on the rating page")
        self.item, self.csrf = item.group(1), csrf.group(1)

    async def join(self) -> None:
        """Open the study's link as Prolific gives it (the participant's id, the study's,
        and the attempt's) and consent. A consent whose answer was lost (the participant
        stored, the cookie never received) is refused when sent again ("sent already");
        the rater opens the link again, as that page says, and is recognised by it."""
        ids = f"drill{self.number}x{secrets.token_hex(3)}"
        entry = f"/s/{SLUG}/?PROLIFIC_PID={ids}&STUDY_ID=drill&SESSION_ID=s{ids}"
        while True:
            status, location, page = await self.until("GET", entry, ok=(200, 303))
            if status == 303:  # the link recognised the participant: back to work
                break
            csrf, form = CSRF.search(page), CONSENT_FORM.search(page)
            if csrf is None or form is None:
                raise RuntimeError(f"rater {self.number}: no consent form")
            data = {"consent": "yes", "csrfmiddlewaretoken": csrf.group(1), "form": form.group(1)}
            status, location, _ = await self.until("POST", entry, data, ok=(303, 400))
            if status == 303:  # a 400: the form was used by a try that got no answer
                break
        await self.show(location)

    async def show(self, location: str) -> None:
        _, location2, page = await self.until("GET", location)
        if location2 and location2.rstrip("/").endswith("/done"):
            await self.finish(location2)
        elif location2:
            await self.show(location2)
        else:
            self.read(page)

    async def finish(self, location: str) -> None:
        _, _, page = await self.until("GET", location, ok=(200,))
        code = CODE.search(page)
        self.log.finished[self.number] = code.group(1) if code else ""
        self.done = True

    async def rate(self) -> None:
        """Rate the current item: the same form again until an answer says it was taken."""
        form = {
            "item": self.item,
            "quality": str(random.randint(1, 10)),
            "csrfmiddlewaretoken": self.csrf,
        }
        deadline = time.monotonic() + GIVE_UP
        while True:
            post = Post(self.number, self.item, time.time())
            self.log.posts.append(post)
            post.status, location, page = await self.request("POST", f"/s/{SLUG}/rate/", form)
            post.ended = time.time()
            if post.succeeded:
                break
            if 400 <= post.status < 500 or time.monotonic() > deadline:
                notice = NOTICE.search(page)
                said = notice.group(1) if notice else page[:120]
                raise Stuck(f"rater {self.number}: rating POST answered {post.status}: {said}")
            await asyncio.sleep(1.0)
        if post.status == 303:
            if location.rstrip("/").endswith("/done"):
                await self.finish(location)
            else:
                await self.show(location)
        else:
            self.read(page)


async def rater_loop(
    port: int, log: Log, numbers, think: float, stop: asyncio.Event, carry_on: list
) -> None:
    """One seat: a rater rates with exponential think times; a rater who finished is
    replaced. At `stop` a rater who saw an error is kept (in `carry_on`) to finish later."""
    first = True
    while not stop.is_set():
        rater = Rater(port, next(numbers), log)
        try:
            await rater.join()
            log.seated += first
            first = False
            while not rater.done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), random.expovariate(1 / think))
                if stop.is_set():
                    if rater.number in log.saw_error:
                        carry_on.append(rater)
                    return
                await rater.rate()
        except Stuck as stuck:  # counted against the drill; the seat takes a new rater
            log.stuck.append(str(stuck))


# --- The stack. ---


class Stack:
    def __init__(self, work: Path, settle: float) -> None:
        self.work, self.settle = work, settle
        self.version = sorted(os.listdir("/etc/postgresql"))[-1]
        self.pg_port, self.redis_port, self.web_port = free_port(), free_port(), free_port()
        self.media = work / "media"
        self.media_mounted = False
        self.redis = self.web = self.worker = self.beat = None
        self.env: dict[str, str] = {}

    # PostgreSQL: a cluster of the drill's own, so the machine's own is never restarted.
    def postgres_create(self) -> None:
        run(
            "pg_createcluster", self.version, CLUSTER, "-p", str(self.pg_port), "--", "--auth=trust"
        )
        self.postgres("start")
        url = f"postgres://postgres@{HOST}:{self.pg_port}/blindrate"
        for _ in range(50):
            if (
                run(
                    "createdb",
                    "-h",
                    HOST,
                    "-p",
                    str(self.pg_port),
                    "-U",
                    "postgres",
                    "blindrate",
                    check=False,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.2)
        self.env["DATABASE_URL"] = url

    def postgres(self, action: str, *options: str) -> None:
        run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, CLUSTER, action, *options)

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(50):
            if (
                run("redis-cli", "-p", str(self.redis_port), "ping", check=False).stdout.strip()
                == "PONG"
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def redis_stop(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def analyses_in_redis(self) -> int:
        """Analysis messages waiting in the worker's queue (Celery's default, `celery`)."""
        queued = run("redis-cli", "-p", str(self.redis_port), "lrange", "celery", "0", "-1")
        return queued.stdout.count('"task": "analysis.run"')

    def media_mount(self, megabytes: int) -> str | None:
        self.media.mkdir(parents=True, exist_ok=True)
        done = run(
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={megabytes}m",
            "tmpfs",
            str(self.media),
            check=False,
        )
        if done.returncode != 0:
            return (done.stderr or done.stdout).strip() or "mount refused"
        self.media_mounted = True
        return None

    def start_services(self) -> None:
        self.env.update(
            {
                "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0",
                "MEDIA_ROOT": str(self.media),
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "ALLOWED_HOSTS": HOST,
                "SECURE_SSL_REDIRECT": "false",
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "LOG_LEVEL": "CRITICAL",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "BLINDRATE_LOCAL_ENV": "",
                # Short waits, so that a drill of minutes sees the reapers work.
                "ANALYSIS_STALE_SECONDS": "8",
                "ANALYSIS_HEARTBEAT_SECONDS": "1",
                "ANALYSIS_QUEUED_SECONDS": "8",
                "MAINTENANCE_SECONDS": "2",
                "CELERY_BEAT_SCHEDULE_FILENAME": str(self.work / "celerybeat-schedule"),
                "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
            }
        )
        os.environ.update(self.env)

    def web_start(self) -> None:
        self.web = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{self.web_port}",
                "--workers",
                "3",
                "--timeout",
                "30",
                "--log-level",
                "critical",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_port(self.web_port)

    def beat_start(self) -> None:
        """The maintenance schedule (reaping analysis runs, lapsed leases), as compose runs it."""
        self.beat = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "CRITICAL"],
            cwd=ROOT,
            env=os.environ.copy(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def worker_start(self) -> None:
        self.worker = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "CRITICAL",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def worker_stop(self) -> None:
        """A warm shutdown of the idle worker (and its pool)."""
        os.killpg(self.worker.pid, signal.SIGTERM)
        self.worker.wait(timeout=60)

    @staticmethod
    def children(pid: int) -> list[int]:
        found = run("pgrep", "-P", str(pid), check=False).stdout.split()
        return [int(p) for p in found]

    @staticmethod
    def _wait_port(port: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        for process in (self.web, self.worker, self.beat, self.redis):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        run("pg_dropcluster", "--stop", self.version, CLUSTER, check=False)
        if self.media_mounted:
            run("umount", str(self.media), check=False)


# --- Django, in this process: setup, the API's token, and the checks. ---


def study_setup(samples_per_rater: int) -> str:
    """The rating study (600 text samples) and a draft study for the import; the
    researcher's API token."""
    from rest_framework.authtoken.models import Token

    from studies import services
    from studies.importing import samples_import
    from studies.researchers import researcher_ensure

    owner, _ = researcher_ensure(username="drill")
    study = services.study_create(
        owner=owner,
        slug=SLUG,
        title="Drill",
        groups=[{"key": k, "label": k} for k in GROUPS],
        samples_per_rater=samples_per_rater,
        ratings_per_sample=100,
        attention_check_rate=0,
        completion_code=COMPLETION_CODE,
        starts_per_address_hour=0,
        leases_per_address=0,  # every rater is 127.0.0.1
    )
    lines = ["group,text,brief"] + [
        f"{g},Sample {i} of the drill: a short poem about the sea.,b{i % 40}"
        for i, g in enumerate(GROUPS * 200)
    ]
    samples_import(study=study, file_name="drill.csv", data="\n".join(lines).encode())
    services.study_open(study=study)
    services.study_create(
        owner=owner,
        slug="drill-media",
        title="Media",
        groups=[{"key": k, "label": k} for k in GROUPS],
    )
    return Token.objects.get_or_create(user=owner)[0].key


def db_close() -> None:
    from django.db import connections

    connections.close_all()


def ratings_stored() -> dict[str, list[float]]:
    """created_at (epoch seconds) of every stored rating, by item token."""
    from ratings.models import Rating

    db_close()
    stored: dict[str, list[float]] = {}
    rows = Rating.objects.filter(assignment__participant__study__slug=SLUG).values_list(
        "assignment__token", "created_at"
    )
    for token, created in rows:
        stored.setdefault(token, []).append(created.timestamp())
    return stored


def check_ratings(posts: list[Post]) -> tuple[int, int, int, list[str]]:
    """(lost, duplicated, stored for an error answer, notes) over the answered POSTs in
    `posts` (a copy taken before this reads the database: each was answered, so committed
    or not, before the query)."""
    stored = ratings_stored()
    notes = []
    lost = duplicated = for_error = 0
    by_item: dict[str, list[Post]] = {}
    for post in posts:
        by_item.setdefault(post.item, []).append(post)
    for item, posts in by_item.items():
        times = stored.get(item, [])
        if len(times) > 1:
            duplicated += len(times) - 1
        if any(p.succeeded for p in posts) and not times:
            lost += 1
            notes.append(f"lost: item {item[:8]}: {[(p.status, p.error) for p in posts]}")
        for created in times:
            inside = [p for p in posts if p.sent - 0.05 <= created <= p.ended + 0.05]
            if inside and not any(p.succeeded or p.status == 0 for p in inside):
                for_error += 1
                notes.append(
                    f"stored during an error answer: item {item[:8]}: "
                    f"{[(p.status, round(p.sent, 2)) for p in inside]}"
                )
    return lost, duplicated, for_error, notes


def analysis_counts(run_id: int) -> tuple[int, int]:
    """(times its task was sent, times a worker started it) of an analysis run."""
    from analysis.models import AnalysisRun

    db_close()
    return AnalysisRun.objects.values_list("sends", "attempts").get(pk=run_id)


def analyses_unfinished() -> list[str]:
    from analysis.models import AnalysisRun

    db_close()
    runs = AnalysisRun.objects.order_by("pk")
    unfinished = ("queued", "running")
    return [
        f"#{r.pk} {r.status} ({r.stage})"
        for r in runs
        if r.status in unfinished or (r.status == "failed" and not r.error)
    ]


# --- The faults. ---


class Drill:
    def __init__(self, stack: Stack, log: Log, token: str) -> None:
        self.stack, self.log, self.token = stack, log, token
        self.results: list[str] = []
        self.ok = True

    async def api(self, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
        """The API over a connection of its own; (0, error) when there was no answer."""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            reader, writer = await asyncio.open_connection(HOST, self.stack.web_port)
            writer.write(head + body)
            data = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
        except Exception as error:
            return 0, repr(error)
        status_line, _, rest = data.decode(errors="replace").partition("\r\n")
        return int(status_line.split()[1]), rest.partition("\r\n\r\n")[2]

    async def analysis_start(self) -> int:
        while True:
            status, body = await self.api("POST", f"/api/studies/{SLUG}/analyses/", b"{}")
            if status == 202:
                return int(re.search(r'"id":\s*(\d+)', body).group(1))
            await asyncio.sleep(1)

    async def analysis_status(self, run_id: int) -> str:
        status, body = await self.api("GET", f"/api/analyses/{run_id}/")
        found = re.search(r'"status":\s*"(\w+)"', body) if status == 200 else None
        return found.group(1) if found else "unknown"

    async def analysis_wait(self, run_id: int, limit: float = 120) -> str:
        deadline = time.monotonic() + limit
        state = "unknown"
        while time.monotonic() < deadline:
            state = await self.analysis_status(run_id)
            if state in ("succeeded", "failed"):
                return state
            await asyncio.sleep(0.5)
        return state

    async def recovered(self, since: float) -> float:
        """Seconds from `since` until ratings flowed again: the first successful rating
        answer sent after the last failed request (0 when nothing failed)."""
        deadline = time.time() + 120
        while time.time() < deadline:
            failed = [t for t, _ in self.log.failures if t >= since]
            last = max(failed, default=since)
            flowing = [p.ended for p in self.log.posts if p.succeeded and p.sent >= last]
            if flowing and time.time() - last >= self.stack.settle:
                return (min(flowing) - since) if failed else 0.0
            await asyncio.sleep(0.5)
        return float("nan")

    async def fault(self, name: str, action, extra_check=None) -> None:
        failures_before = len(self.log.failures)
        began = time.time()
        note = await action()
        seconds = await self.recovered(began)
        failed = len(self.log.failures) - failures_before
        lost, duplicated, for_error, notes = await asyncio.to_thread(
            check_ratings, self.log.answered()
        )
        problems = notes[:5]
        if extra_check is not None:
            problems += await extra_check()
        if self.log.server_errors:
            problems += [f"server error: {e}" for e in self.log.server_errors[:3]]
            self.log.server_errors.clear()
        held = not (lost or duplicated or for_error or problems)
        self.ok &= held
        line = (
            f"{name:<28} failed requests {failed:4d}   ratings flowing again after "
            f"{seconds:5.1f} s   lost {lost}   duplicated {duplicated}   "
            f"stored for an error {for_error}   {'ok' if held else 'PROBLEM'}"
            f"{'   (' + note + ')' if note else ''}"
        )
        self.results.append(line)
        print(line, flush=True)
        for problem in problems:
            print(f"    {problem}", flush=True)

    # Each fault: do it, return a note for its line.

    async def postgres_restart(self, *options: str) -> str:
        await asyncio.to_thread(self.stack.postgres, "restart", *options)
        return ""

    async def redis_restart(self) -> str:
        """An analysis queued while no worker reads the queue, then Redis restarted without
        persistence: its message is gone. (A worker that is only paused would already hold
        the message: Redis hands it to a worker blocked on the queue at once.) The worker
        comes back; the schedule must send the message again."""
        await asyncio.to_thread(self.stack.worker_stop)
        try:
            self.redis_run = await self.analysis_start()
            await asyncio.sleep(0.5)
            self.redis_waiting = [await asyncio.to_thread(self.stack.analyses_in_redis)]
            await asyncio.to_thread(self.stack.redis_stop)
            await asyncio.to_thread(self.stack.redis_start)
            self.redis_waiting.append(await asyncio.to_thread(self.stack.analyses_in_redis))
        finally:
            await asyncio.to_thread(self.stack.worker_start)
        state = await self.analysis_wait(self.redis_run)
        sends, attempts = await asyncio.to_thread(analysis_counts, self.redis_run)
        before, after = self.redis_waiting
        return (
            f"analysis #{self.redis_run}: {before} message in Redis, {after} after its "
            f"restart; {state}, sent {sends} times, run {attempts} time(s)"
        )

    async def gunicorn_kill(self, times: int = 5) -> str:
        """SIGKILL one web worker (the one with the most CPU time, the likeliest to be in
        the middle of a request), `times` times a second apart; gunicorn starts another
        each time. One kill often lands between two requests, hence the repeats."""
        replaced = 0
        for _ in range(times):
            workers = self.stack.children(self.stack.web.pid)
            victim = max(workers, key=cpu_ticks)
            os.kill(victim, signal.SIGKILL)
            await asyncio.sleep(1)
            replaced += victim not in self.stack.children(self.stack.web.pid)
        return f"one of 3 web workers, {times} times; {replaced} replaced"

    async def celery_kill(self) -> str:
        run_id = self.killed_run = await self.analysis_start()
        deadline = time.monotonic() + 60
        while await self.analysis_status(run_id) != "running":
            if time.monotonic() > deadline:
                return f"analysis #{run_id} never ran"
            await asyncio.sleep(0.05)
        children = self.stack.children(self.stack.worker.pid)
        for child in children:
            os.kill(child, signal.SIGKILL)
        state = await self.analysis_wait(run_id)
        _, attempts = await asyncio.to_thread(analysis_counts, run_id)
        return f"analysis #{run_id} killed while running: {state}, started {attempts} times"

    async def media_full(self) -> str:
        folder = self.stack.work / "import"
        folder.mkdir(exist_ok=True)
        rows = ["group,file,brief"]
        for index in range(40):  # about 40 x 190 KB: more than the volume holds
            name = f"noise-{index}.png"
            await asyncio.to_thread(noise_png, folder / name, index)
            rows.append(f"{GROUPS[index % 3]},{name},b{index}")
        (folder / "samples.csv").write_text("\n".join(rows) + "\n")
        before = files_in(self.stack.media)
        done = await asyncio.to_thread(
            run,
            PYTHON,
            "manage.py",
            "import_samples",
            "drill-media",
            str(folder / "samples.csv"),
            "--media",
            str(folder),
            cwd=ROOT,
            check=False,
        )
        self.import_report = (done.returncode, done.stderr + done.stdout, before)
        said = "no space left on the media volume" in done.stderr
        return f"import exit {done.returncode}, {'named the full volume' if said else 'no cause'}"

    async def media_check(self) -> list[str]:
        from studies.models import Sample

        code, output, before = self.import_report
        problems = []
        await asyncio.to_thread(db_close)
        count = await asyncio.to_thread(
            lambda: Sample.objects.filter(study__slug="drill-media").count()
        )
        if code == 0 or "no space left on the media volume" not in output:
            problems.append(f"import: exit {code}: {output.strip()[-300:]}")
        if count not in (0, 40):
            problems.append(f"import stored {count} of 40 samples")
        if count == 0 and files_in(self.stack.media) != before:
            problems.append("import left files on the media volume")
        return problems

    async def analyses_check(self) -> list[str]:
        left = await asyncio.to_thread(analyses_unfinished)
        return [f"analysis not finished: {r}" for r in left]

    async def redis_check(self) -> list[str]:
        """The message was in Redis and lost with its restart; it was sent once more and
        the analysis ran once."""
        sends, attempts = await asyncio.to_thread(analysis_counts, self.redis_run)
        counts = (*self.redis_waiting, sends, attempts)
        wrong = [] if counts == (1, 0, 2, 1) else [f"lost message: in Redis, sent, run {counts}"]
        return await self.analyses_check() + wrong

    async def celery_check(self) -> list[str]:
        """The killed worker's analysis ran again exactly once (the attempt counter)."""
        _, attempts = await asyncio.to_thread(analysis_counts, self.killed_run)
        wrong = [] if attempts == 2 else [f"killed analysis started {attempts} times, not 2"]
        return await self.analyses_check() + wrong


def cpu_ticks(pid: int) -> int:
    """User and system CPU ticks of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def noise_png(path: Path, seed: int) -> None:
    from PIL import Image

    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(256 * 256 * 3))
    Image.frombytes("RGB", (256, 256), data).save(path, "PNG")


def files_in(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file())


async def drill(stack: Stack, args, token: str, skip_media: str | None) -> bool:
    log = Log()
    stop = asyncio.Event()
    carry_on: list[Rater] = []
    numbers = iter(range(1, 10**9))
    seats = max(1, round(args.rate * args.think))
    loops = [
        asyncio.create_task(rater_loop(stack.web_port, log, numbers, args.think, stop, carry_on))
        for _ in range(seats)
    ]
    the = Drill(stack, log, token)
    arrived = time.monotonic() + 120  # the raters arrive (welcome, consent, first item)
    while log.seated < seats and time.monotonic() < arrived:
        await asyncio.sleep(0.2)
    window = time.time()
    await asyncio.sleep(args.settle)
    steady = sorted(p.ended - p.sent for p in log.answered() if p.succeeded and p.sent >= window)
    median = steady[len(steady) // 2] * 1000 if steady else float("nan")
    rate = len(steady) / (time.time() - window)
    print(
        f"{rate:.1f} rating POSTs/s before the faults, median {median:.0f} ms "
        f"({seats} raters, think {args.think:g} s)",
        flush=True,
    )
    plan = {
        "postgres": ("postgres restart", lambda: the.postgres_restart(), None),
        "postgres-immediate": (
            "postgres restart immediate",
            lambda: the.postgres_restart("-m", "immediate"),
            None,
        ),
        "redis": ("redis restart", the.redis_restart, the.redis_check),
        "gunicorn": ("gunicorn worker SIGKILL", the.gunicorn_kill, None),
        "celery": ("celery worker SIGKILL", the.celery_kill, the.celery_check),
        "media": ("media volume full", the.media_full, the.media_check),
    }
    for key in args.only:
        name, action, check = plan[key]
        if key == "media" and skip_media:
            print(f"{name:<28} skipped: the machine refused a tmpfs mount ({skip_media})")
            continue
        await the.fault(name, action, check)
    stop.set()
    await asyncio.gather(*loops)
    # Every rater who saw an error goes on to the end of the study and gets the code.
    for rater in carry_on:
        rater.connection.close()

    async def to_the_end(rater: Rater) -> None:
        try:
            while not rater.done:
                await rater.rate()
        except Stuck as stuck:
            log.stuck.append(str(stuck))

    await asyncio.wait_for(asyncio.gather(*(to_the_end(r) for r in carry_on)), 300)
    saw = log.saw_error
    unfinished = [n for n in saw if n not in log.finished]
    wrong_code = [n for n in saw if n in log.finished and log.finished[n] != COMPLETION_CODE]
    lost, duplicated, for_error, notes = await asyncio.to_thread(check_ratings, log.answered())
    total = sum(1 for p in log.posts if p.succeeded)
    print(
        f"\nraters who saw an error: {len(saw)}; finished with the completion code: "
        f"{len(saw) - len(unfinished) - len(wrong_code)}; rating POSTs answered with "
        f"success: {total}; over the whole drill: lost {lost}, duplicated {duplicated}, "
        f"stored for an error {for_error}",
        flush=True,
    )
    for note in notes[:10]:
        print(f"    {note}")
    if log.stuck:
        print(f"raters who could not go on: {len(log.stuck)}", flush=True)
        for reason in log.stuck[:10]:
            print(f"    {reason}")
    failed = unfinished or wrong_code or lost or duplicated or for_error or log.stuck
    return the.ok and not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30, help="ratings per second, about")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds per item")
    parser.add_argument(
        "--settle",
        type=float,
        default=8.0,
        help="seconds of steady ratings before the first fault and after each recovery",
    )
    parser.add_argument(
        "--only", default=",".join(FAULTS), help=f"faults to run, in order: {','.join(FAULTS)}"
    )
    parser.add_argument("--media-mb", type=int, default=4, help="size of the media tmpfs")
    args = parser.parse_args()
    args.only = [f.strip() for f in args.only.split(",") if f.strip()]
    unknown = set(args.only) - set(FAULTS)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    if os.geteuid() != 0:
        parser.error("needs root: it creates a PostgreSQL cluster and mounts a tmpfs")
    for program in ("pg_createcluster", "redis-server", "redis-cli"):
        if shutil.which(program) is None:
            parser.error(f"needs {program}")
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="blindrate-faults-"))
    stack = Stack(work, args.settle)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still clean up on TERM
    try:
        stack.postgres_create()
        stack.redis_start()
        skip_media = stack.media_mount(args.media_mb) if "media" in args.only else "not asked"
        stack.start_services()
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        token = study_setup(samples_per_rater=8)
        db_close()
        stack.web_start()
        stack.worker_start()
        stack.beat_start()
        print(
            f"PostgreSQL {stack.version} (own cluster), Redis, gunicorn 3 sync workers, "
            f"1 Celery worker and beat, media on a {args.media_mb} MB tmpfs"
            f"{'' if not skip_media or skip_media == 'not asked' else ' (not mounted)'}; "
            f"{os.cpu_count()} cores",
            flush=True,
        )
        held = asyncio.run(drill(stack, args, token, skip_media))
    finally:
        db_close()
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{'every check held' if held else 'SOME CHECKS FAILED'}; "
        f"whole drill {time.monotonic() - began:.0f} s"
    )
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
