"""The analysis jobs: thin tasks that take a row's id and call the service (an analysis
run; a plan job, `analysis.plan_services`), with the same options (`JOB`).

`acks_late`: the message is acknowledged only after the run ends, so a message whose
worker died is delivered again (Redis: after its visibility timeout); the service's claim
makes that redelivery a no-op when the run was already taken. Time limits come from
settings (see `analysis.conf`): the soft one fails the run with a message, the hard one
kills the process and leaves the run to the reaper.
"""

import logging

from celery import shared_task
from celery.signals import worker_ready

from analysis.conf import analysis_setting

JOB = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": analysis_setting("SOFT_TIME_LIMIT"),
    "time_limit": analysis_setting("TIME_LIMIT"),
}


@shared_task(name="analysis.run", **JOB)
def analysis_run_task(run_id: int) -> None:
    from analysis.services import analysis_execute

    analysis_execute(run_id=run_id)


@shared_task(name="analysis.reap", ignore_result=True)
def analysis_reap_task() -> list[int]:
    """Scheduled (Celery beat): queue again or fail the runs of dead workers, and send again
    or fail the queued runs whose message was lost; fail the plan jobs that can no longer
    end. The ids of the runs."""
    from analysis.plan_services import analysis_plan_reap
    from analysis.services import analysis_reap_stale

    analysis_plan_reap()
    return analysis_reap_stale()


@worker_ready.connect
def reap_dead_analysis_runs(sender=None, **kwargs) -> None:
    """A starting worker queues again (or fails) the runs of workers that died mid-run."""
    from django.db import connections

    from analysis.services import analysis_reap_stale

    try:
        analysis_reap_stale()
    except Exception:
        logging.getLogger(__name__).exception("could not reap the runs of dead workers")
    finally:
        connections.close_all()


@shared_task(name="analysis.plan", **JOB)
def analysis_plan_task(job_id: int) -> None:
    """A power plan too long for a request (`analysis.plan_services`)."""
    from analysis.plan_services import analysis_plan_execute

    analysis_plan_execute(job_id=job_id)
