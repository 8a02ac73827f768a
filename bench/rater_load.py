"""Rater load, open-loop: gunicorn + PostgreSQL on loopback, raters who read before they rate.

Raters post their ratings at a steady offered rate, whatever the server's speed: the send
times come from the arrival process, not from the answers. For each offered rate (25, 50,
100, 150 and 200 ratings/s by default) the bench prints the latency of every rating POST
(p50, p99), the rate achieved, and the highest rate held with p99 under 200 ms (target:
at least 100 ratings/s, about 2,000 raters at once who each take 20 s per item).

How. The POSTs of one rate are a Poisson process of that rate, drawn in advance. Each goes
to a rater picked at random among those with no request in flight, out of a pool of
rate x think raters (think: --think, 10 s), so each rater posts on average once every
`think` seconds with exponential gaps while it reads: for the server, the same stream as
that many independent raters. Every rater is a browser of its own (its cookies, its own
connection, reopened when the server has closed it). A rater whose POST answers with the
done page follows the redirect and leaves; a new rater arrives in its place (welcome,
consent, first item) while the rate runs, as real arrivals would. The pool carries over
from one rate to the next and grows with it; raters are added between rates, unmeasured.

Latency is measured from the POST's scheduled send time (a slow server or a late client
cannot hide queueing: no coordinated omission), and from the moment it was sent. A rate
is held when no POST failed and the p99 from the scheduled time is under 200 ms; the
highest rate held is the highest of an unbroken run of held rates from the lowest. The
rate achieved counts the answers that arrived within the rate's window. The client shares
the machine with the server: its lateness (sent minus scheduled) and its CPU are printed
with every rate; a p99 lateness over 20 ms is flagged, as the client could not keep up.

The kind of next item (each group, attention check, done page) is never visible to the
rater; the bench records the item token each POST's answer shows and looks it up in the
database afterwards. A last short run at --kinds-rate hands the POSTs to the raters that
are furthest through the study, with a short think time, so that enough POSTs answer
with the done page to compare medians at one rate. Queries per rating: one participant
through the whole study with Django's test client in this process, counting what Django
sees (CaptureQueriesContext) and what the driver sends (psycopg's cursor executes and
commits).

Reference lines, in the same run at the same offered rates: a trivial Django view
(/healthz/live/: no database) and the floor of a rating request in this stack
(bench/floor/floor_urls.py: the same CSRF-checked POST and rating template with one
query and none of the rating's work). The server runs with bench/floor/floor_settings.py.

--protocol pairwise: the same study as a pairwise one (20 pairs per rater, two samples of
one brief each). The raters post choices (`choice`, with `strength` when the page asks
for one) at random, except on an attention pair, where they choose the piece that is not
the check, as attentive raters do; the floor renders the pair page. Every line and figure
is then of choice POSTs; the kinds of next item are the pairs of two groups (whichever is
A), attention pairs and the done page. The rest is the same run.

    .venv/bin/python bench/rater_load.py [--protocol rating|pairwise]
        [--rates 25,50,100,150,200] [--seconds 30] [--think 10] [--workers 3]
        [--worker-class sync|gthread] [--database blindrate_bench]

Bounded: about 5 to 6 minutes with the defaults. A rate the server cannot hold at all
(p50 over 1 s, or more than 1% failed) ends the rating runs: higher rates are skipped
unless --all-rates (their reference lines still run), and before each measurement the
server is left to drain what clients gave up on. It only talks to 127.0.0.1, and creates
(and drops) the database --database on the local PostgreSQL server. The figures vary with
whatever else runs on the machine: the load average and the machine's busy CPU are printed
with each rate.
"""

import argparse
import asyncio
import contextlib
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from load.client import HOST, Browser
from load.usage import Usage

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SLUG = "load"
GROUPS = ("human", "ai", "collaboration")
ITEM = re.compile(r'name="item" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT_FORM = re.compile(r'name="form" value="([^"]+)"')
TIMEOUT = 15.0  # seconds a request may take before it counts as failed
HELD_P99_MS = 200.0
CLIENT_LATE_MS = 20.0  # a client whose p99 lateness is above this could not keep up
SATURATED_MS = 1000.0  # a p50 above this (or 1% failed): higher rates are not run
TARGET_RATE = 100.0
ITEMS = 20  # per rater, attention checks included
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
STRENGTH = re.compile(r'name="strength" value="([^"]+)"')
CHECK_SHOWN = "<p>Check "  # how an attention check's text begins on the page
PIECE_B = 'aria-labelledby="piece-b"'  # where the pair page's piece B begins


def score(page: str) -> dict[str, str]:
    """A rater's scores for a rating page: at random (every score passes the checks)."""
    return {"quality": str(random.randint(1, 10))}


def choose(page: str) -> dict[str, str]:
    """A rater's answer to a pair page, from the options the page offers: a choice at
    random, with a strength at random when the page asks for one. On an attention pair,
    the piece that is not the check, as an attentive rater does (at random, a quarter of
    the raters would be screened out by their second check)."""
    check = page.find(CHECK_SHOWN)
    if check >= 0:
        choice = "b" if check < page.find(PIECE_B) else "a"
    else:
        choice = random.choice(CHOICE.findall(page))
    strengths = STRENGTH.findall(page)
    if strengths and choice != "tie":
        return {"choice": choice, "strength": random.choice(strengths)}
    return {"choice": choice}


def pair_kind(first: str, second: str) -> str:
    """The kind of a pair of two groups' samples, whichever is A: 'human+ai'."""
    return "+".join(sorted((first, second), key=GROUPS.index))


@dataclass(frozen=True)
class Protocol:
    """What the bench does differently for a rating study and a pairwise one: the study's
    protocol and attention check, how a rater answers a page, the kinds of next item, and
    the words of the output. Everything else is one path."""

    name: str  # Study.protocol
    label: str  # what a POST sends, in the output
    items: str  # what a rater is given, in the output
    check_text: str  # an attention check's text, after its number
    answer: Callable[[str], dict[str, str]]  # the form's fields for a page, as read
    kinds: tuple[str, ...]  # the kinds of next item, as printed


PROTOCOLS = {
    "rating": Protocol(
        name="rating",
        label="rating",
        items=f"{ITEMS} items per rater (2 of them checks)",
        check_text="whatever you think of this one: score it.",
        answer=score,
        kinds=(*GROUPS, "attention", "done"),
    ),
    "pairwise": Protocol(
        name="pairwise",
        label="choice",
        items=f"pairwise, {ITEMS} pairs per rater (2 of them attention pairs)",
        check_text="this piece is the check: choose the other one.",
        answer=choose,
        kinds=(*(pair_kind(*pair) for pair in combinations(GROUPS, 2)), "attention", "done"),
    ),
}


def study_setup(attention_checks: int, protocol: Protocol) -> None:
    """The study the raters rate (or whose pairs they compare): 900 samples in three
    groups, attention checks whose expected range is the whole scale (the bench's raters
    score at random and must not be screened out), 20 items per rater. Through the
    studies' public services."""
    from django.db import connection

    from studies import services
    from studies.importing import samples_import
    from studies.researchers import researcher_ensure

    owner, _ = researcher_ensure(username="bench")
    study = services.study_create(
        owner=owner,
        slug=SLUG,
        title="Load",
        groups=[{"key": k, "label": k} for k in GROUPS],
        samples_per_rater=ITEMS,
        ratings_per_sample=200,
        attention_check_rate=0.1,
        # Every simulated rater comes from 127.0.0.1: the per-address limits are off.
        starts_per_address_hour=0,
        leases_per_address=0,
        protocol=protocol.name,
    )
    lines = ["group,text,brief,attention,expected"] + [
        f"{g},Sample {i} of a load test: a short poem about the sea.,b{i % 50},false,"
        for i, g in enumerate(GROUPS * 300)
    ]
    lines += [
        f"{GROUPS[i % 3]},Check {i}: {protocol.check_text},,true,1-10"
        for i in range(attention_checks)
    ]
    samples_import(study=study, file_name="load.csv", data="\n".join(lines).encode())
    services.study_open(study=study)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would soon after an import
    connection.close()


@dataclass(slots=True)
class Record:
    """One measured request: scheduled, sent and answered (monotonic seconds)."""

    phase: str
    scheduled: float
    waited: bool = False  # no agent was free at the scheduled time (all in flight)
    sent: float = 0.0
    ended: float = 0.0
    status: int = 0
    next_item: str = ""  # the token the answer shows, "done", or "" on failure
    error: str = ""


class Rater(Browser):
    """A participant: consents, then posts a rating (a choice, in a pairwise study) for
    each item it is shown, made up as it reads the page."""

    count = 0

    def __init__(self, port: int, keep_alive: float, protocol: Protocol) -> None:
        super().__init__(port, keep_alive)
        Rater.count += 1
        self.number = Rater.count
        self.protocol = protocol
        self.item = self.csrf = ""
        self.answer: dict[str, str] = {}
        self.items_done = 0
        self.finished = False

    def _read(self, page: str) -> None:
        item, csrf = ITEM.search(page), CSRF.search(page)
        if item is None or csrf is None:
            raise RuntimeError("no item on the rating page")
        self.item, self.csrf = item.group(1), csrf.group(1)
        self.answer = self.protocol.answer(page)

    async def join(self) -> "Rater":
        entry = f"/s/{SLUG}/?PROLIFIC_PID=bench{self.number}x{secrets.token_hex(3)}"
        status, _, page = await self.fetch("GET", entry)
        csrf, consent_form = CSRF.search(page), CONSENT_FORM.search(page)
        if status != 200 or csrf is None or consent_form is None:
            raise RuntimeError(f"welcome page: {status}")
        form = {
            "consent": "yes",
            "csrfmiddlewaretoken": csrf.group(1),
            "form": consent_form.group(1),
        }
        status, location, _ = await self.fetch("POST", entry, form)
        if status != 303 or not location:
            raise RuntimeError(f"consent: {status}")
        status, _, page = await self.fetch("GET", location)
        if status != 200:
            raise RuntimeError(f"first item: {status}")
        self._read(page)
        return self

    async def act(self, record: Record) -> None:
        form = {"item": self.item, **self.answer, "csrfmiddlewaretoken": self.csrf}
        record.sent = time.monotonic()
        status, location, page = await self.fetch("POST", f"/s/{SLUG}/rate/", form)
        record.ended, record.status = time.monotonic(), status
        self.items_done += 1
        if status == 303 and location and location.rstrip("/").endswith("/done"):
            record.next_item, self.finished = "done", True
            status, _, _ = await self.fetch("GET", location)  # the browser follows it
            if status != 200:
                raise RuntimeError(f"done page: {status}")
            return
        if status != 200:
            raise RuntimeError(f"{self.protocol.label} POST: {status}")
        self._read(page)
        record.next_item = self.item


class Reference(Browser):
    """A browser for the reference lines: GET /healthz/live/, or POST the floor's form."""

    def __init__(
        self, port: int, keep_alive: float, floor: tuple | None, protocol: Protocol
    ) -> None:
        super().__init__(port, keep_alive)
        # (cookies, item, csrf, page) of one floor page, or None: the trivial view.
        self.floor = floor
        self.protocol = protocol
        self.finished = False
        if floor:
            self.cookies = dict(floor[0])

    async def act(self, record: Record) -> None:
        record.sent = time.monotonic()
        if self.floor is None:
            status, _, _ = await self.fetch("GET", "/healthz/live/")
        else:
            _, item, csrf, page = self.floor
            form = {"item": item, **self.protocol.answer(page), "csrfmiddlewaretoken": csrf}
            status, _, _ = await self.fetch("POST", "/bench-floor/", form)
        record.ended, record.status = time.monotonic(), status
        if status != 200:
            raise RuntimeError(f"reference: {status}")


class Pool:
    """Agents with no request in flight, handed out at random. An agent that finished
    (a rater past its last item) is replaced by a new one that arrives in its place."""

    def __init__(self, make) -> None:
        self.make = make  # async () -> a ready agent
        self.idle: list = []
        self.size = 0  # agents in the pool, in flight or arriving
        self.available = asyncio.Event()
        self.arrivals: set[asyncio.Task] = set()
        self.failures: list[str] = []

    def put(self, agent) -> None:
        self.idle.append(agent)
        self.available.set()

    async def take(self):
        while not self.idle:
            self.available.clear()
            await self.available.wait()
        index = random.randrange(len(self.idle))
        self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
        return self.idle.pop()

    async def _arrive(self) -> None:
        try:
            self.put(await asyncio.wait_for(self.make(), TIMEOUT))
        except Exception as error:  # reported; the pool shrinks by one
            self.size -= 1
            self.failures.append(f"arrival: {error!r}")

    def arrive(self) -> None:
        self.size += 1
        task = asyncio.create_task(self._arrive())
        self.arrivals.add(task)
        task.add_done_callback(self.arrivals.discard)

    async def fill(self, size: int, at_once: int = 24) -> None:
        """Grow to `size` agents, `at_once` arriving at a time (between rates: unmeasured);
        give up after a minute or when arrivals keep failing."""
        give_up, failed = time.monotonic() + 60, len(self.failures)
        while self.size < size and time.monotonic() < give_up:
            for _ in range(min(at_once, size - self.size)):
                self.arrive()
            await asyncio.gather(*self.arrivals)
            if len(self.failures) - failed > at_once:
                break

    def back(self, agent, failed: bool) -> None:
        if failed or agent.finished:
            agent.connection.close()
            self.size -= 1
            self.arrive()
        else:
            self.put(agent)


async def _one(pool: Pool, agent, record: Record) -> None:
    failed = False
    try:
        await asyncio.wait_for(agent.act(record), TIMEOUT)
    except Exception as error:  # every failure is counted and printed
        failed, record.error = True, f"{type(error).__name__}: {error}"
        if not record.ended:
            record.ended = time.monotonic()
    pool.back(agent, failed)


async def open_loop(name: str, rate: float, seconds: float, pool: Pool):
    """Send at the times of a Poisson process of `rate` per second for `seconds`, each to
    a free agent of the pool, whatever the answers take; wait for the last answers."""
    records: list[Record] = []
    tasks: set[asyncio.Task] = set()
    start = time.monotonic() + 0.05
    scheduled = start
    give_up = start + seconds + TIMEOUT  # bounded, even when no rater ever comes free
    while True:
        scheduled += random.expovariate(rate)
        if scheduled >= start + seconds:
            break
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        record = Record(name, scheduled, waited=not pool.idle)
        records.append(record)
        try:
            agent = await asyncio.wait_for(pool.take(), max(0.001, give_up - time.monotonic()))
        except TimeoutError:
            record.error, record.ended = "not sent: no rater free", time.monotonic()
            continue
        task = asyncio.create_task(_one(pool, agent, record))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=TIMEOUT + 2)
    for record in records:
        if not record.ended and not record.error:
            record.error = "no answer"
    return records, start


# --- Figures. ---


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(run: tuple, rate: float, seconds: float, usage: dict) -> dict:
    records, start = run
    answered = [r for r in records if not r.error]
    from_schedule = [(r.ended - r.scheduled) * 1000 for r in answered]
    from_send = [(r.ended - r.sent) * 1000 for r in answered]
    # A failed POST counts as slower than any answer at the p99 from the schedule.
    from_schedule += [float("inf")] * (len(records) - len(answered))
    late = [(r.sent - r.scheduled) * 1000 for r in records if r.sent and not r.waited]
    end = start + seconds
    result = {
        "rate": rate,
        "n": len(records),
        "errors": len(records) - len(answered),
        "drawn": len(records) / seconds,
        "achieved": sum(r.ended <= end for r in answered) / seconds,
        "p50": percentile(from_schedule, 0.50),
        "p99": percentile(from_schedule, 0.99),
        "p50_send": percentile(from_send, 0.50),
        "p99_send": percentile(from_send, 0.99),
        "late_p99": percentile(late, 0.99),
        "waited": sum(r.waited for r in records),
        "first_errors": sorted({r.error for r in records if r.error})[:3],
        **usage,
    }
    result["held"] = result["errors"] == 0 and result["p99"] < HELD_P99_MS
    result["client_late"] = result["late_p99"] > CLIENT_LATE_MS
    return result


def line(label: str, result: dict, raters: int | None = None) -> str:
    who = f"{raters:5d}" if raters is not None else "    -"
    verdict = "yes" if result["held"] else "NO"
    per = result["server_cores"] * 1000 / max(result["achieved"], 0.1)
    per_pg = result["postgres_cores"] * 1000 / max(result["achieved"], 0.1)
    if result["client_late"]:
        verdict += " (client late)"
    return (
        f"{label:<8}{result['rate']:5.0f}/s {who} {result['drawn']:6.1f} {result['achieved']:6.1f} "
        f"{result['p50']:6.1f} {result['p99']:7.1f} {result['p50_send']:6.1f} "
        f"{result['p99_send']:7.1f} {result['errors']:4d} {result['late_p99']:6.1f} "
        f"{result['waited']:4d} {result['client_cores']:5.2f} {result['server_cores']:5.2f} "
        f"{result['machine_cores']:5.2f} {per:5.1f} {per_pg:5.1f} {result['load']:5.2f}  "
        f"{verdict}"
    )


HEADER = (
    f"{'':8}{'offered':>7} {'pool':>5} {'drawn':>6} {'achvd':>6} {'p50':>6} {'p99':>7} "
    f"{'p50':>6} {'p99':>7} {'err':>4} {'late':>6} {'wait':>4} {'clnt':>5} {'srv':>5} "
    f"{'mach':>5} {'cpu/r':>5} {'pg/r':>5} {'load':>5}  held\n"
    f"{'':8}{'/s':>7} {'':>5} {'/s':>6} {'/s':>6} {'ms from schedule':>14} "
    f"{'ms from send':>14} {'':>4} {'ms':>6} {'':>4} {'cores':>5} {'cores':>5} {'cores':>5} "
    f"{'ms':>5} {'ms':>5}\n"
)
LEGEND = (
    "pool: raters (rate x think); drawn: POSTs the Poisson draw scheduled, per second; "
    "achvd: answers within the window, per second;\nlate: the client's p99 lateness (sent "
    "minus scheduled); wait: POSTs that found no rater free (all in flight); clnt, srv, "
    "mach:\nCPU used by the client, the server (gunicorn and its PostgreSQL backends) and "
    "the whole machine (every user);\ncpu/r: server CPU per answer, pg/r: the part of it "
    "in PostgreSQL; load: 1-minute load average. Held: no error and p99 from schedule < 200 ms.\n"
)


def kinds(records: list[Record]) -> dict[str, str]:
    """The kind of next item each token names: its sample's group (a pair's: its two
    groups, `pair_kind`), 'attention' (a check, or a pair with one) or 'done'."""
    from ratings.models import Assignment

    tokens = {r.next_item for r in records if r.next_item and r.next_item != "done"}
    found = dict.fromkeys(tokens, "?")
    rows = Assignment.objects.filter(token__in=tokens).values_list(
        "token",
        "sample__is_attention_check",
        "sample__group__key",
        "sample_b__is_attention_check",
        "sample_b__group__key",
    )
    for token, is_check, group, b_is_check, b_group in rows:
        if is_check or b_is_check:
            found[token] = "attention"
        else:
            found[token] = group if b_group is None else pair_kind(group, b_group)
    found["done"] = "done"
    return found


def kind_width(kind: str) -> int:
    return max(13, len(kind))  # a cell: "median (   n)"


def by_kind(records: list[Record], kind_of: dict[str, str], columns: tuple[str, ...]) -> str:
    groups: dict[str, list[float]] = {}
    for r in records:
        if r.next_item and not r.error:
            groups.setdefault(kind_of[r.next_item], []).append((r.ended - r.sent) * 1000)
    cells = []
    for kind in columns:
        values = groups.get(kind, [])
        median = f"{statistics.median(values):6.1f}" if values else "     -"
        cells.append(f"{median} ({len(values):4d})".rjust(kind_width(kind)))
    return "  ".join(cells)


def queries_per_rating(protocol: Protocol) -> list[tuple[str, int, int, int]]:
    """One participant through the whole study with Django's test client: for each rating
    (or choice) POST, the kind of next item, the queries Django saw, and the statements
    and commits the driver (psycopg) sent, whichever way they went."""
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {"statements": 0, "commits": 0}

    def counting(method, key):
        def wrapper(self, *args, **kwargs):
            counts[key] += 1
            return method(self, *args, **kwargs)

        return wrapper

    patched = [
        (psycopg.Cursor, "execute", "statements"),
        (psycopg.Cursor, "executemany", "statements"),
        (psycopg.Connection, "commit", "commits"),
    ]
    originals = [(cls, name, getattr(cls, name)) for cls, name, _ in patched]
    for cls, name, key in patched:
        setattr(cls, name, counting(getattr(cls, name), key))
    try:
        client = Client(HTTP_HOST=HOST)
        entry = f"/s/{SLUG}/?PROLIFIC_PID=bench-queries"
        consent_form = CONSENT_FORM.search(client.get(entry).content.decode()).group(1)
        client.post(entry, {"consent": "yes", "form": consent_form})
        page = client.get(f"/s/{SLUG}/rate/").content.decode()
        rows = []
        for _ in range(100):
            match = ITEM.search(page)
            if match is None:
                break
            counts.update(statements=0, commits=0)
            form = {"item": match.group(1), **protocol.answer(page)}
            with CaptureQueriesContext(connection) as captured:
                response = client.post(f"/s/{SLUG}/rate/", form)
            page = response.content.decode()
            token = ITEM.search(page)
            nxt = "done" if response.status_code == 303 else token.group(1) if token else "?"
            rows.append((nxt, len(captured), counts["statements"], counts["commits"]))
    finally:
        for cls, name, method in originals:
            setattr(cls, name, method)
    if len(rows) != ITEMS or rows[-1][0] != "done":
        raise RuntimeError(f"one participant posted {len(rows)} items, not {ITEMS}: screened out?")
    kind_of = kinds([Record("q", 0, next_item=n) for n, *_ in rows])
    return [(kind_of.get(n, "?"), *rest) for n, *rest in rows]


# --- The run. ---


def code_state() -> str:
    """The commit measured, whether the work tree differs from it, and which path ran."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "ratings", "studies", "config"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    fast = "present" if (ROOT / "ratings" / "fast.py").exists() else "gone"
    dirty = f", {len(changed)} uncommitted changes in ratings/studies/config" if changed else ""
    commit = head.stdout.strip() if head.returncode == 0 else f"{ROOT} (not a git checkout)"
    return f"{commit}{dirty}; ratings/fast.py {fast}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


async def bench(args, port: int, master: int) -> list[Record]:
    keep_alive = args.keep_alive if args.worker_class != "sync" else 0.0
    protocol = PROTOCOLS[args.protocol]
    label = protocol.label
    usage = Usage(master, args.database)
    raters = Pool(lambda: Rater(port, keep_alive, protocol).join())
    first = Browser(port, keep_alive)
    _, _, page = await first.fetch("GET", "/bench-floor/")
    floor = (first.cookies, ITEM.search(page).group(1), CSRF.search(page).group(1), page)

    async def reference_pool(size: int, floor_page) -> Pool:
        pool = Pool(lambda: _ready(Reference(port, keep_alive, floor_page, protocol)))
        await pool.fill(size, at_once=size)
        return pool

    all_records: list[Record] = []
    results = []
    # Warm-up: every gunicorn worker's connection, caches and prepared statements.
    await raters.fill(int(args.rates[0] * args.think))
    await open_loop("warm-up", args.rates[0], 4, raters)  # not reported
    await open_loop("warm-up", args.rates[0], 2, await reference_pool(25, floor))
    print(LEGEND + HEADER, end="", flush=True)
    saturated_at = None
    for rate in args.rates:
        size = max(1, round(rate * args.think))
        for reference, floor_page in (("trivial", None), ("floor", floor)):
            if args.reference_seconds <= 0:
                continue
            pool = await reference_pool(size, floor_page)
            await settle(port, keep_alive)
            usage.start()
            run = await open_loop(reference, rate, args.reference_seconds, pool)
            result = summary(run, rate, args.reference_seconds, usage.stop())
            print(line(reference, result), flush=True)
            results.append((reference, result))
        if saturated_at is not None:
            print(
                f"{label:<8}{rate:5.0f}/s  skipped: saturated at {saturated_at:g}/s "
                "(--all-rates runs it anyway)",
                flush=True,
            )
            continue
        failed = len(raters.failures)
        await raters.fill(size)
        await settle(port, keep_alive)
        usage.start()
        run = await open_loop(f"{rate:g}/s", rate, args.seconds, raters)
        result = summary(run, rate, args.seconds, usage.stop())
        print(line(label, result, raters.size), flush=True)
        if result["first_errors"]:
            print("         errors:", "; ".join(result["first_errors"]), flush=True)
        if len(raters.failures) > failed:
            print(
                f"         {len(raters.failures) - failed} raters failed to arrive, e.g. "
                f"{raters.failures[failed]}",
                flush=True,
            )
        results.append((label, result))
        all_records += run[0]
        # Far past saturation a rate says nothing more, and takes long: stop there.
        overloaded = result["p50"] > SATURATED_MS or result["errors"] > 0.01 * result["n"]
        if overloaded and not args.all_rates:
            saturated_at = rate
    # The kinds of next item at one rate, with enough done pages: the raters furthest
    # through the study, reading for a short time, and new ones in their places.
    size = max(1, round(args.kinds_rate * args.kinds_think))
    furthest = sorted(raters.idle, key=lambda rater: rater.items_done)[-size:]
    raters.idle = [rater for rater in raters.idle if rater not in set(furthest)]
    kinds_pool = Pool(raters.make)
    for rater in furthest:
        kinds_pool.size += 1
        kinds_pool.put(rater)
    await kinds_pool.fill(size)
    await settle(port, keep_alive)
    name = f"kinds {args.kinds_rate:g}/s"
    usage.start()
    run = await open_loop(name, args.kinds_rate, args.kinds_seconds, kinds_pool)
    kinds_result = summary(run, args.kinds_rate, args.kinds_seconds, usage.stop())
    print(line("kinds", kinds_result, size), flush=True)
    all_records += run[0]
    await asyncio.gather(*raters.arrivals, *kinds_pool.arrivals)
    if kinds_pool.failures:
        print(
            f"         {len(kinds_pool.failures)} raters failed to arrive, e.g. "
            f"{kinds_pool.failures[0]}",
            flush=True,
        )

    def held(label: str) -> float:
        best = 0.0
        for result in sorted((r for n, r in results if n == label), key=lambda r: r["rate"]):
            if not result["held"]:
                break
            best = result["rate"]
        return best

    verdict = "met" if held(label) >= TARGET_RATE else "NOT met"
    print(
        f"\nhighest rate held with p99 < {HELD_P99_MS:g} ms from schedule and no errors: "
        f"{label} {held(label):g}/s (target >= {TARGET_RATE:g}/s: {verdict}); "
        f"floor {held('floor'):g}/s; trivial {held('trivial'):g}/s",
        flush=True,
    )
    return all_records


async def _ready(agent):
    return agent


async def settle(port: int, keep_alive: float) -> float:
    """Wait until the server answers the trivial view within 50 ms twice running (up to a
    minute): after a rate the server could not hold, requests their clients gave up on
    may still be queued, and would otherwise slow the next measurement. Seconds waited."""
    began = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - began < 60:
        sent, probe = time.monotonic(), Browser(port, keep_alive)
        with contextlib.suppress(OSError, EOFError, TimeoutError):
            await asyncio.wait_for(probe.fetch("GET", "/healthz/live/"), TIMEOUT)
        probe.connection.close()
        calm = calm + 1 if time.monotonic() - sent < 0.05 else 0
        await asyncio.sleep(0.1)
    return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates",
        default="25,50,100,150,200",
        help="offered rating (or choice) POSTs per second, comma-separated",
    )
    parser.add_argument(
        "--protocol",
        default="rating",
        choices=list(PROTOCOLS),
        help="pairwise: the same study with pairs, the raters posting choices",
    )
    parser.add_argument("--seconds", type=float, default=30, help="per rate")
    parser.add_argument(
        "--think", type=float, default=10, help="mean think time in seconds (raters = rate x think)"
    )
    parser.add_argument(
        "--reference-seconds",
        type=float,
        default=6,
        help="per rate for each reference line; 0: none",
    )
    parser.add_argument(
        "--all-rates",
        action="store_true",
        help="run every rate, even past one that saturated the server",
    )
    parser.add_argument("--kinds-rate", type=float, default=20)
    parser.add_argument("--kinds-think", type=float, default=1)
    parser.add_argument("--kinds-seconds", type=float, default=30)
    parser.add_argument("--attention-checks", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="sync: as the image and docker-compose run it",
    )
    parser.add_argument("--threads", type=int, default=8, help="per process, gthread only")
    parser.add_argument("--keep-alive", type=float, default=2, help="gthread only, seconds")
    parser.add_argument(
        "--database", default="blindrate_bench", help="created and dropped on 127.0.0.1:5432"
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database: a plain lower-case name")
    began = time.monotonic()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket per rater in flight

    database = args.database
    psql = ["psql", "-h", HOST, "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
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
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{database}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic here
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    protocol = PROTOCOLS[args.protocol]
    study_setup(args.attention_checks, protocol)

    quiet = "ignore:No directory at:UserWarning"  # WhiteNoise: no collected static files
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "floor_settings",
        "PYTHONPATH": str(ROOT / "bench" / "floor"),
        "PYTHONWARNINGS": quiet,
    }
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads), "--keep-alive", f"{args.keep_alive:g}"]
    server = subprocess.Popen(command, cwd=ROOT, env=server_env, start_new_session=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the server on TERM
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        shape = (
            f"{args.workers}x{args.threads}"
            if args.worker_class == "gthread"
            else f"{args.workers}"
        )
        print(
            f"gunicorn {args.worker_class} {shape} + PostgreSQL on {os.cpu_count()} cores; "
            f"a study of 900 samples in 3 groups + {args.attention_checks} attention checks, "
            f"{protocol.items}; think time exponential, mean "
            f"{args.think:g} s; {args.seconds:g} s per rate, references "
            f"{args.reference_seconds:g} s; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        print(f"code: {code_state()}", flush=True)
        records = asyncio.run(bench(args, port, server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    from django.db import connection

    kind_of, columns = kinds(records), protocol.kinds
    print(f"\n{protocol.label} POST median ms from send (n) by kind of next item:")
    print(f"{'':14}" + "  ".join(f"{k:>{kind_width(k)}}" for k in columns))
    for phase in dict.fromkeys(r.phase for r in records):
        mine = [r for r in records if r.phase == phase]
        print(f"{phase:<14}" + by_kind(mine, kind_of, columns))
    try:
        rows = queries_per_rating(protocol)
    finally:
        connection.close()
        subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
    by: dict[str, list[tuple[int, int, int]]] = {}
    for kind, *numbers in rows:
        by.setdefault(kind, []).append(tuple(numbers))
    print(
        f"\nqueries per {protocol.label} POST (one participant, Django's test client): what "
        "Django records (CaptureQueriesContext, with its BEGIN and COMMIT entries) / "
        "statements psycopg executed / commits"
    )
    width = max(len(kind) for kind in columns) + 1
    for kind in columns:
        seen = sorted(set(by.get(kind, [])))
        print(f"  next {kind:<{width}}" + ", ".join("/".join(map(str, s)) for s in seen))
    print(f"\nwhole run {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
