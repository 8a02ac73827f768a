"""A study's power plan: computed from its own design (`analysis.selectors`) by the
planner (`analysis.planning`) and kept on the draft (`studies.services.study_plan_save`),
so that opening freezes the latest plan into the pre-registration. Refused once the study
has opened: its plan is then the frozen one.

A plan runs where it is asked for (`analysis_plan_compute`: the command line, and the
requests of `analysis_plan_request` that fit in one) unless it is a Monte Carlo plan of
more than SIMULATION_BUDGET simulated ratings in all: `analysis_plan_request` then stores a
queued `PlanJob` and sends it to a worker (`analysis.tasks.analysis_plan_task`), whose
`analysis_plan_execute` claims it (queued -> running, so a redelivered message does
nothing), reports its progress, and ends it `succeeded` with the plan (kept on the study as
a plan computed in the request is) or `failed` with the reason. The worker computes
exactly what the request would have: the same inputs, seed and code path.
"""

import logging
import math
import time
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from analysis import plan_inputs, selectors
from analysis.conf import analysis_setting
from analysis.models import PlanJob
from analysis.services import QueueUnavailable, queue_problem
from studies import services as study_services
from studies.models import Study

logger = logging.getLogger(__name__)

# A simulation runs in the request when it is this small (studies x ratings); a larger one
# is a worker's job (`PlanJob`). The command line runs any size in its own process.
SIMULATION_BUDGET = 200_000
QUEUE_UNAVAILABLE = (
    "The task queue is unavailable at the moment, so the plan, too long to compute in the "
    "request, was not started and nothing was stored. Try again in a minute, plan with "
    "fewer simulations or the analytic method, or run `manage.py plan --study {slug} "
    "--method simulation`."
)
TIME_LIMIT = (
    "The plan took longer than its time limit of {seconds:g} s "
    "(BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT) and was stopped; plan with fewer simulations."
)
PROGRESS_EVERY_SECONDS = 0.5
WORKER_STOPPED = (
    "The worker stopped during the plan: it ran past the time limit of {seconds:g} s without "
    "ending. Workers stop when they are killed or restarted, or run out of memory. Ask for "
    "the plan again, with fewer simulations if it fails the same way."
)
NEVER_TAKEN = (
    "No worker took the plan within {seconds:g} s: the message was probably lost (the "
    "broker restarted without persistence or was flushed) or no worker reads the queue. "
    "Check the workers with `manage.py check_worker`, then ask for the plan again."
)


def _finite(value):
    """The plan as canonical JSON takes it: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _design_and_variance(
    *, study, user, variance, variance_source, pilot, samples_per_group, ratings_per_sample
):
    """The study's design as planned (resized when asked) and the variances assumed."""
    inputs = selectors.analysis_plan_inputs(study=study, samples_per_group=samples_per_group)
    design = inputs["design"]
    if ratings_per_sample is not None:
        design = design.with_size(design.samples_per_group, ratings_per_sample)
    if variance is not None:
        source = variance_source
    elif pilot:
        variance, source = selectors.analysis_pilot_variance(user=user, slug=pilot)
    else:
        variance, source = plan_inputs.default_variance()
    return inputs, design, variance, source


def analysis_plan_compute(
    *,
    study: Study,
    user=None,
    variance=None,
    variance_source: str = "given",
    pilot: str | None = None,
    truth: dict | None = None,
    samples_per_group: int | None = None,
    ratings_per_sample: int | None = None,
    method: str = "analytic",
    simulations: int = 200,
    seed: int = 0,
    integer: bool = False,
    target: float | None = None,
    workers: int = 1,
    save: bool = True,
    progress=None,
) -> dict:
    """Plan a draft study here and now, and keep the plan on it. Raises DesignFrozen once
    the study has opened, ValueError (or planning.PlanError, a ValueError with `problems`)
    for inputs that cannot be planned. `progress(done, total)` follows a simulation."""
    from analysis.planning import DEFAULT_TARGET, plan

    study_services.study_assert_editable(study=study, what="its plan")
    inputs, design, variance, source = _design_and_variance(
        study=study,
        user=user,
        variance=variance,
        variance_source=variance_source,
        pilot=pilot,
        samples_per_group=samples_per_group,
        ratings_per_sample=ratings_per_sample,
    )
    document = plan(
        design=design,
        variance=variance,
        claims=inputs["claims"],
        truth=truth,
        alpha=inputs["alpha"],
        margin=inputs["margin"],
        scale=inputs["scale"],
        integer=integer,
        method=method,
        simulations=simulations,
        seed=seed,
        target=DEFAULT_TARGET if target is None else target,
        variance_source=source,
        workers=workers,
        progress=progress,
    )
    document["study"] = study.slug
    document["notes"] = inputs["notes"] + document["notes"]
    document = _finite(document)
    if save:
        study_services.study_plan_save(study=study, plan=document)
    return document


def analysis_plan_request(
    *, study: Study, user=None, simulation_budget: int | None = None, **params
) -> dict | PlanJob:
    """A plan asked for by a researcher (the API, the admin): the plan document when it
    is computed here, or the queued `PlanJob` of a simulation above `simulation_budget`
    ratings in all (default SIMULATION_BUDGET). Bad inputs are refused here either way
    (ValueError, PlanError, DesignFrozen); with the broker down, a job raises
    QueueUnavailable and stores nothing."""
    study_services.study_assert_editable(study=study, what="its plan")
    method, simulations = params.get("method", "analytic"), params.get("simulations", 200)
    if method != "simulation":
        return analysis_plan_compute(study=study, user=user, **params)
    _, design, variance, source = _design_and_variance(
        study=study,
        user=user,
        variance=params.get("variance"),
        variance_source=params.get("variance_source", "given"),
        pilot=params.get("pilot"),
        samples_per_group=params.get("samples_per_group"),
        ratings_per_sample=params.get("ratings_per_sample"),
    )
    budget = SIMULATION_BUDGET if simulation_budget is None else simulation_budget
    if simulations * design.ratings <= budget:
        return analysis_plan_compute(study=study, user=user, **params)
    # The worker takes the variances as resolved now (a pilot's are read with the
    # requester's rights); the analytic plan of the same inputs checks them first.
    resolved = {**params, "variance": variance, "variance_source": source, "pilot": None}
    analysis_plan_compute(study=study, user=user, save=False, **{**resolved, "method": "analytic"})
    problem = queue_problem()
    if problem is not None:
        logger.warning("task queue unavailable: %s", problem)
        raise QueueUnavailable(QUEUE_UNAVAILABLE.format(slug=study.slug))
    stored = {key: value for key, value in resolved.items() if key != "pilot"}
    stored["variance"] = variance.as_dict()
    with transaction.atomic():
        job = PlanJob.objects.create(
            study=study,
            requested_by=user if user is not None and user.is_authenticated else None,
            parameters=stored,
            stage="waiting for a worker",
            task_id=str(uuid.uuid4()),
        )
        transaction.on_commit(lambda: _send(job))
    return job


def _send(job: PlanJob) -> None:
    from analysis.tasks import analysis_plan_task

    try:
        analysis_plan_task.apply_async(args=[job.pk], task_id=job.task_id)
    except Exception:
        logger.exception("plan job %s: its task could not be sent", job.pk)


class _Progress:
    """The simulation's progress callback: writes stage and percent at most every half
    second, and keeps the soft time limit (see `analysis.services.RunProgress`)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.last_write = 0.0
        self.deadline = time.monotonic() + float(analysis_setting("SOFT_TIME_LIMIT"))

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() >= self.deadline:
            raise SoftTimeLimitExceeded()
        now = time.monotonic()
        if now - self.last_write >= PROGRESS_EVERY_SECONDS or done == total:
            PlanJob.objects.filter(pk=self.job_id, status=PlanJob.Status.RUNNING).update(
                stage=f"simulated {done} of {total} studies"[:120],
                percent=min(99, int(100 * done / max(total, 1))),
            )
            self.last_write = now


def _fail(job_id: int, error: str) -> None:
    PlanJob.objects.filter(pk=job_id, status=PlanJob.Status.RUNNING).update(
        status=PlanJob.Status.FAILED, error=error, finished_at=timezone.now()
    )


def analysis_plan_reap(*, now=None) -> list[int]:
    """Fail the plan jobs that can no longer end (scheduled with the analysis runs'
    reaper, `analysis.tasks.analysis_reap_task`): a running job past the hard time limit
    (and the stale allowance) lost its worker, since the limit kills any job still at work;
    a queued job no worker took within BLINDRATE_ANALYSIS_QUEUED_SECONDS lost its message.
    A plan is quick to ask for again, so it is not retried. The ids failed."""
    now = now or timezone.now()
    limit = float(analysis_setting("TIME_LIMIT")) + float(analysis_setting("STALE_SECONDS"))
    waited = float(analysis_setting("QUEUED_SECONDS"))
    reaped = []
    for status, since, seconds, message in (
        (PlanJob.Status.RUNNING, "started_at", limit, WORKER_STOPPED),
        (PlanJob.Status.QUEUED, "created_at", waited, NEVER_TAKEN),
    ):
        stale = PlanJob.objects.filter(
            status=status, **{f"{since}__lt": now - timedelta(seconds=seconds)}
        )
        for job_id in stale.values_list("pk", flat=True):
            changed = PlanJob.objects.filter(pk=job_id, status=status).update(
                status=PlanJob.Status.FAILED,
                error=message.format(seconds=seconds),
                finished_at=now,
            )
            if changed:
                logger.warning("plan job %s: %s; failed", job_id, status)
                reaped.append(job_id)
    return reaped


def analysis_plan_execute(*, job_id: int) -> PlanJob | None:
    """Claim and compute a queued plan; None when there was nothing to claim."""
    from analysis.planning import Variance

    claimed = PlanJob.objects.filter(pk=job_id, status=PlanJob.Status.QUEUED).update(
        status=PlanJob.Status.RUNNING, started_at=timezone.now(), stage="planning", percent=0
    )
    if not claimed:
        logger.info("plan job %s: not queued any more; nothing to do", job_id)
        return None
    job = PlanJob.objects.select_related("study", "requested_by").get(pk=job_id)
    params = dict(job.parameters)
    params["variance"] = Variance(**params["variance"])
    try:
        document = analysis_plan_compute(
            study=job.study, user=job.requested_by, progress=_Progress(job_id), **params
        )
    except SoftTimeLimitExceeded:
        _fail(job_id, TIME_LIMIT.format(seconds=float(analysis_setting("SOFT_TIME_LIMIT"))))
    except Exception as error:  # DesignFrozen when the study opened meanwhile, among others
        logger.exception("plan job %s failed", job_id)
        _fail(job_id, str(error) or type(error).__name__)
    else:
        PlanJob.objects.filter(pk=job_id, status=PlanJob.Status.RUNNING).update(
            status=PlanJob.Status.SUCCEEDED,
            stage="done",
            percent=100,
            plan=document,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
