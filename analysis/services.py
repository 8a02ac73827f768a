"""Every write of an analysis run: start, execute in a worker, reap runs of dead workers.

A run's life: `analysis_start` stores it `queued` and enqueues its task after commit.
A worker's `analysis_execute` claims it with a conditional UPDATE (queued -> running), so
a redelivered message finds nothing to claim and does nothing; while it works, progress
reports and a heartbeat thread keep `heartbeat_at` fresh. The run ends `succeeded` with
its document and plots, or `failed` with the error.

Dead workers: a `running` run whose heartbeat is older than
`BLINDRATE_ANALYSIS_STALE_SECONDS` lost its worker (killed, restarted, out of memory, hard
time limit). `analysis_reap_stale` queues it again once, because the usual cause is a
deploy or restart that a second try survives; a run that has already had
`BLINDRATE_ANALYSIS_MAX_ATTEMPTS` starts is marked failed instead, so an analysis that
kills its worker (out of memory) does not take down worker after worker.

Lost messages: a `queued` run that no worker took within `BLINDRATE_ANALYSIS_QUEUED_SECONDS`
of its task being sent (the broker restarted without persistence or was flushed, or a
worker of another deployment took the message) has its task sent once more; after a
second such wait it is failed with a message saying why. A duplicate message is harmless:
only one worker can claim a queued run. Reaping is scheduled work, never done by a
request: Celery beat runs `analysis.reap` every MAINTENANCE_SECONDS (analysis/tasks.py),
and a starting worker reaps once (Celery's `worker_ready`, see config/celery.py).

The engine (NumPy, SciPy) and the plots (matplotlib) are imported where a job uses them,
so web processes, which only start and show runs, never load them.
"""

import logging
import threading
import time
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from analysis import selectors
from analysis.conf import analysis_setting
from analysis.documents import analysis_document, analysis_pairwise_document
from analysis.models import AnalysisRun
from config.celery import broker_problem
from studies import design
from studies.models import Study

logger = logging.getLogger(__name__)

# As analysis.stats.mixed.METHODS, without importing SciPy into web processes.
MODEL_METHODS = ("auto", "reml", "moments")
WORKER_STOPPED = (
    "The worker stopped during the run: no sign of life for {seconds:g} s after {attempts} "
    "start(s). Workers stop when they are killed or restarted, or run out of memory. Start "
    "the analysis again; if it fails the same way, read the worker's log."
)
REQUEUED_STAGE = "queued again: the worker stopped during start {attempts}"
QUEUE_LOST = (
    "No worker took the run within {seconds:g} s of its task being sent, {sends} times: the "
    "message was probably lost (the broker restarted without persistence or was flushed) "
    "or no worker of this deployment reads the queue. Check the workers with "
    "`manage.py check_worker`, then start the analysis again."
)
RESENT_STAGE = "waiting for a worker: task sent again after {seconds:g} s"
MAX_SENDS = 2
QUEUE_UNAVAILABLE = (
    "The task queue is unavailable at the moment, so the analysis was not started and "
    "nothing was stored. Try again in a minute."
)
TIME_LIMIT = (
    "The analysis took longer than its time limit of {seconds:g} s "
    "(BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT) and was stopped."
)
RUN_STAGES = {
    "loading": (0, 5),
    "engine": (5, 60),
    "embedding": (60, 85),
    "diversity": (85, 90),
    "plots": (90, 99),
}
PROGRESS_EVERY_SECONDS = 0.5


def analysis_parameters(
    *,
    study: Study,
    alpha: float | None = None,
    margin: float | None = None,
    seed: int | None = None,
    criterion: str | None = None,
    model_method: str | None = None,
) -> dict:
    """The run's parameters with the study's analysis plan filled in, or ValidationError."""
    criteria = [c["key"] for c in study.criteria]
    parameters = {
        "alpha": study.alpha if alpha is None else alpha,
        "margin": design.equivalence_margin(study) if margin is None else margin,
        "seed": 0 if seed is None else seed,
        "criterion": criterion or criteria[0],
        "model_method": model_method or "auto",
    }
    problems = {}
    try:
        parameters["alpha"] = float(parameters["alpha"])
        if not 0 < parameters["alpha"] < 0.5:
            problems["alpha"] = "must be between 0 and 0.5"
    except (TypeError, ValueError):
        problems["alpha"] = "must be a number"
    try:
        parameters["margin"] = float(parameters["margin"])
        if not parameters["margin"] > 0:
            problems["margin"] = "must be above 0"
    except (TypeError, ValueError):
        problems["margin"] = "must be a number"
    try:
        parameters["seed"] = int(parameters["seed"])
        if not 0 <= parameters["seed"] < 2**32:
            problems["seed"] = "must be from 0 to 4294967295"
    except (TypeError, ValueError):
        problems["seed"] = "must be a whole number"
    if parameters["criterion"] not in criteria:
        problems["criterion"] = f"unknown criterion (known: {', '.join(criteria)})"
    if parameters["model_method"] not in MODEL_METHODS:
        problems["model_method"] = f"must be one of {', '.join(MODEL_METHODS)}"
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})
    return parameters


def analysis_create(*, study: Study, user=None, **params) -> AnalysisRun:
    """A queued run with checked parameters, not enqueued (the demo executes it in place)."""
    return AnalysisRun.objects.create(
        study=study,
        requested_by=user if user is not None and user.is_authenticated else None,
        parameters=analysis_parameters(study=study, **params),
        stage="waiting for a worker",
        task_id=str(uuid.uuid4()),
    )


class QueueUnavailable(Exception):
    """The broker cannot be reached: no run was stored."""


def queue_problem() -> str | None:
    """None when the broker answers now (one quick try), else what went wrong."""
    return broker_problem()


def _queue_check() -> None:
    problem = queue_problem()
    if problem is not None:
        logger.warning("task queue unavailable: %s", problem)
        raise QueueUnavailable(QUEUE_UNAVAILABLE)


def _send(run: AnalysisRun) -> None:
    """Send the run's task. A broker that went away after the check loses only this send:
    the run stays queued, and the queued-run reaper sends it again."""
    from analysis.tasks import analysis_run_task

    try:
        analysis_run_task.apply_async(args=[run.pk], task_id=run.task_id)
    except Exception:
        logger.exception(
            "analysis run %s: its task could not be sent; it will be sent again", run.pk
        )


def _enqueue(run: AnalysisRun) -> None:
    transaction.on_commit(lambda: _send(run))


def analysis_start(*, study: Study, user=None, **params) -> AnalysisRun:
    """Store a queued run of `study` and send it to a worker once the transaction commits.
    With the broker down, raise QueueUnavailable and store nothing: a run nobody can be
    told about would only wait to be failed.

    Parameters default to the study's analysis plan: `alpha`, `margin` (the equivalence
    margin), `seed` (0), `criterion` (the first), `model_method` ("auto")."""
    parameters = analysis_parameters(study=study, **params)  # bad input first: a 400, not a 503
    _queue_check()
    with transaction.atomic():
        run = analysis_create(study=study, user=user, **parameters)
        _enqueue(run)
    return run


def analysis_reap_stale(*, now=None) -> list[int]:
    """Queue again, or fail, the runs whose worker stopped, and send again, or fail, the
    queued runs that no worker took; return their ids."""
    now = now or timezone.now()
    return _reap_silent_running(now) + _reap_unclaimed_queued(now)


def _send_again(run: AnalysisRun, still_as_seen, **fields) -> int:
    """Write `fields` and a new task id to the run, if it is still as the reaper saw it
    (`still_as_seen`), and send its task again once that commits; the rows changed."""
    with transaction.atomic():
        run.task_id = str(uuid.uuid4())
        changed = still_as_seen.update(task_id=run.task_id, **fields)
        if changed:
            _enqueue(run)
    return changed


def _send_again_or_fail(run, still_as_seen, *, again: bool, error: str, now, **fields) -> int:
    """Send the run's task again with `fields` when `again`, else fail it with `error`."""
    if again:
        return _send_again(run, still_as_seen, **fields)
    return still_as_seen.update(status=AnalysisRun.Status.FAILED, error=error, finished_at=now)


def _reap_silent_running(now) -> list[int]:
    stale_seconds = float(analysis_setting("STALE_SECONDS"))
    max_attempts = int(analysis_setting("MAX_ATTEMPTS"))
    limit = now - timedelta(seconds=stale_seconds)
    stale = AnalysisRun.objects.filter(status=AnalysisRun.Status.RUNNING, heartbeat_at__lt=limit)
    reaped = []
    for run in stale.only("id", "attempts", "task_id"):
        # The same conditions again in the UPDATE: a heartbeat or another reaper that came
        # in between wins, and this one changes nothing.
        still_stale = AnalysisRun.objects.filter(
            pk=run.pk,
            status=AnalysisRun.Status.RUNNING,
            attempts=run.attempts,
            heartbeat_at__lt=limit,
        )
        changed = _send_again_or_fail(
            run,
            still_stale,
            again=run.attempts < max_attempts,
            error=WORKER_STOPPED.format(seconds=stale_seconds, attempts=run.attempts),
            now=now,
            status=AnalysisRun.Status.QUEUED,
            stage=REQUEUED_STAGE.format(attempts=run.attempts),
            percent=0,
            sent_at=now,
            sends=1,
        )
        if changed:
            logger.warning("analysis run %s: worker stopped during the run; reaped", run.pk)
            reaped.append(run.pk)
    return reaped


def _reap_unclaimed_queued(now) -> list[int]:
    waited = float(analysis_setting("QUEUED_SECONDS"))
    limit = now - timedelta(seconds=waited)
    unclaimed = AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED, sent_at__lt=limit)
    reaped = []
    for run in unclaimed.only("id", "sends", "task_id"):
        # As above: a worker's claim or another reaper in between wins.
        still_unclaimed = AnalysisRun.objects.filter(
            pk=run.pk, status=AnalysisRun.Status.QUEUED, sends=run.sends, sent_at__lt=limit
        )
        changed = _send_again_or_fail(
            run,
            still_unclaimed,
            again=run.sends < MAX_SENDS,
            error=QUEUE_LOST.format(seconds=waited, sends=run.sends),
            now=now,
            sent_at=now,
            sends=F("sends") + 1,
            stage=RESENT_STAGE.format(seconds=waited),
        )
        if changed:
            logger.warning("analysis run %s: no worker took its task; reaped", run.pk)
            reaped.append(run.pk)
    return reaped


class _Heartbeat:
    """Touches `heartbeat_at` every few seconds from a thread, so a long stage of the
    engine with no progress report does not look like a dead worker. Only outside a
    transaction: inside one (the demo, tests) nobody else could see the beat anyway."""

    def __init__(self, run_id: int, attempt: int) -> None:
        self.run_id, self.attempt = run_id, attempt
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        if not connection.in_atomic_block:
            self.thread = threading.Thread(
                target=self._beat, daemon=True, name=f"analysis-heartbeat-{self.run_id}"
            )
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _beat(self) -> None:
        interval = float(analysis_setting("HEARTBEAT_SECONDS"))
        try:
            while not self.stop.wait(interval):
                try:
                    AnalysisRun.objects.filter(
                        pk=self.run_id, status=AnalysisRun.Status.RUNNING, attempts=self.attempt
                    ).update(heartbeat_at=timezone.now())
                except Exception:
                    logger.exception("analysis run %s: heartbeat failed", self.run_id)
                    close_old_connections()
        finally:
            connection.close()


class RunProgress:
    """The engine's progress callback: maps its percent into the run's, writes stage,
    percent and heartbeat at most every half second (and at every new stage).

    It also keeps the soft time limit itself: Celery raises `SoftTimeLimitExceeded` wherever
    the task happens to be, and the engine turns any exception inside its model fit into a
    null model with a reason; a run that passed its limit must fail, not succeed with
    holes, so the limit is checked again at every stage and at the end."""

    def __init__(self, run_id: int, attempt: int) -> None:
        self.run_id, self.attempt = run_id, attempt
        self.last_write = 0.0
        self.last_stage = None
        self.deadline = time.monotonic() + float(analysis_setting("SOFT_TIME_LIMIT"))

    def check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            raise SoftTimeLimitExceeded()

    def report(self, stage: str, percent: float, *, part: str) -> None:
        self.check_deadline()
        low, high = RUN_STAGES[part]
        overall = int(low + (high - low) * min(max(float(percent), 0.0), 100.0) / 100)
        now = time.monotonic()
        if stage != self.last_stage or now - self.last_write >= PROGRESS_EVERY_SECONDS:
            AnalysisRun.objects.filter(
                pk=self.run_id, status=AnalysisRun.Status.RUNNING, attempts=self.attempt
            ).update(stage=stage[:120], percent=overall, heartbeat_at=timezone.now())
            self.last_write, self.last_stage = now, stage

    def engine(self, stage: str, percent: int) -> None:
        self.report(stage, percent, part="engine")


def _engine_version(document: dict) -> str:
    from analysis import engine

    used = (document.get("parameters") or {}).get("engine_version")
    return str(used or engine.ENGINE_VERSION)[:40]


def _store_plots(run: AnalysisRun, plots) -> list[dict]:
    stored = []
    for plot in plots:
        name = f"analysis/{run.pk}/{plot.key}.png"
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(plot.png))
        stored.append({"key": plot.key, "title": plot.title, "file": saved})
    return stored


def _fail(run_id: int, attempt: int, error: str) -> None:
    AnalysisRun.objects.filter(
        pk=run_id, status=AnalysisRun.Status.RUNNING, attempts=attempt
    ).update(status=AnalysisRun.Status.FAILED, error=error, finished_at=timezone.now())


def analysis_execute(*, run_id: int) -> AnalysisRun | None:
    """Claim and run a queued analysis; None when there was nothing to claim (a redelivered
    task, or a run already taken, finished or gone)."""
    now = timezone.now()
    claimed = AnalysisRun.objects.filter(pk=run_id, status=AnalysisRun.Status.QUEUED).update(
        status=AnalysisRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        stage="loading ratings",
        percent=0,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        logger.info("analysis run %s: not queued any more; nothing to do", run_id)
        return None
    run = AnalysisRun.objects.select_related("study").get(pk=run_id)
    attempt, study, parameters = run.attempts, run.study, run.parameters
    from analysis.plots import plots_render  # matplotlib: in the worker only

    progress = RunProgress(run_id, attempt)
    try:
        with _Heartbeat(run_id, attempt):
            if study.protocol == Study.Protocol.PAIRWISE:
                header, rows = selectors.analysis_comparison_rows(
                    study=study, criterion=parameters["criterion"]
                )
                progress.report("comparisons loaded", 100, part="loading")
                document, counts, checksum, frame = analysis_pairwise_document(
                    study=study,
                    parameters=parameters,
                    header=header,
                    rows=rows,
                    progress=progress,
                )
            else:
                frame, rating_ids = selectors.analysis_ratings_frame(
                    study=study, criterion=parameters["criterion"]
                )
                progress.report("ratings loaded", 100, part="loading")
                document, counts, checksum = analysis_document(
                    study=study,
                    parameters=parameters,
                    frame=frame,
                    rating_ids=rating_ids,
                    progress=progress,
                )
            progress.report("drawing plots", 0, part="plots")
            plots = plots_render(
                document=document,
                frame=frame,
                order=selectors.analysis_group_order(study=study),
                labels=selectors.analysis_group_labels(study=study),
                margin=parameters["margin"],
            )
            progress.check_deadline()
            stored = _store_plots(run, plots)
    except SoftTimeLimitExceeded:
        limit = float(analysis_setting("SOFT_TIME_LIMIT"))
        _fail(run_id, attempt, TIME_LIMIT.format(seconds=limit))
    except Exception as error:
        logger.exception("analysis run %s failed", run_id)
        _fail(run_id, attempt, f"{type(error).__name__}: {error}")
    else:
        finished = timezone.now()
        AnalysisRun.objects.filter(
            pk=run_id, status=AnalysisRun.Status.RUNNING, attempts=attempt
        ).update(
            status=AnalysisRun.Status.SUCCEEDED,
            stage="done",
            percent=100,
            results=document,
            input_counts=counts,
            input_sha256=checksum,
            engine_version=_engine_version(document),
            plots=stored,
            finished_at=finished,
            heartbeat_at=finished,
        )
    run.refresh_from_db()
    return run
