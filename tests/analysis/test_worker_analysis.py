"""Analyses in a real Celery worker process on the configured broker (the filesystem one by
default, Redis when REDIS_URL is set), reading the test database.

The worker and `manage.py analyze` run as subprocesses sharing a broker folder and a queue
of the test's own, so a `make run` worker or another test run on the machine cannot take
their tasks. A Celery app module written for the test slows the job down (a sleep at each
progress report, patched in the worker's process only) so that the worker can be killed
in the middle; production code has no such hook.
"""

import json
import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from analysis.models import AnalysisRun
from tests.factories import closed_study
from tests.processes import environment, queue_of, run_manage, wait_until, worker

pytestmark = pytest.mark.django_db(transaction=True)


def broker_lose_everything(tmp_path: Path) -> int:
    """What a broker restarted without persistence (or flushed) does to the test's queue:
    every waiting message is gone. Returns how many were dropped."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        dropped = client.llen(queue_of(tmp_path))
        client.delete(queue_of(tmp_path))
        return dropped
    messages = list((tmp_path / "broker" / "queue").glob("*"))
    for message in messages:
        message.unlink()
    return len(messages)


SLOW_APP = """
import time

from celery.signals import worker_process_init

from config.celery import app  # noqa: F401


@worker_process_init.connect
def slow_down(**kwargs):
    from analysis import services

    report = services.RunProgress.report

    def slowly(self, *args, **kwargs):
        time.sleep({delay!r})
        return report(self, *args, **kwargs)

    services.RunProgress.report = slowly
"""


def slow_app(tmp_path: Path, delay: float) -> str:
    """A Celery app whose worker sleeps `delay` seconds at each progress report."""
    (tmp_path / "slow_app.py").write_text(SLOW_APP.format(delay=delay))
    return "slow_app"


def wait_for_run_end(run: AnalysisRun, seconds: float = 120) -> None:
    finished = AnalysisRun.objects.filter(pk=run.pk, status__in=AnalysisRun.FINISHED)
    wait_until(finished.exists, seconds=seconds, what="the run to end")


def test_an_analysis_started_through_the_service_finishes_in_a_worker(researcher, tmp_path):
    closed_study(researcher)
    env = environment(tmp_path)

    with worker(env):
        result = run_manage(env, "analyze", "poems", "--wait", "--json", "--worker-timeout", "90")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.SUCCEEDED
    assert (run.attempts, run.percent) == (1, 100)
    assert document == run.results
    assert "running: " in result.stderr  # the command followed the worker's progress
    for plot in run.plots:
        assert (Path(settings.MEDIA_ROOT) / plot["file"]).read_bytes().startswith(b"\x89PNG")


def test_a_worker_killed_mid_run_leaves_the_run_to_be_retried_never_running_forever(
    researcher, tmp_path
):
    closed_study(researcher)
    limits = {"HEARTBEAT_SECONDS": 0.5, "STALE_SECONDS": 3.0}
    env = environment(tmp_path, **limits)

    with worker(env, app=slow_app(tmp_path, delay=1.0)) as doomed:
        started = run_manage(env, "analyze", "poems", "--json")
        assert started.returncode == 0, started.stderr
        run = AnalysisRun.objects.get(pk=json.loads(started.stdout)["id"])
        wait_until(
            lambda: AnalysisRun.objects.filter(
                pk=run.pk, status="running", percent__gte=15
            ).exists(),
            seconds=90,
            what="the worker to be in the middle of the run",
        )
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.RUNNING and run.percent < 100
    time.sleep(limits["STALE_SECONDS"] + 1)

    # A starting worker reaps the dead worker's run, queues it again and runs it.
    with worker(env):
        wait_for_run_end(run)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert run.attempts == 2


def test_a_run_whose_message_the_broker_lost_is_sent_again_and_finishes(researcher, tmp_path):
    """The broker loses the queued task (Redis restarted without persistence, or flushed);
    a starting worker finds the run still queued past its wait, sends it again, runs it."""
    closed_study(researcher)
    env = environment(tmp_path, QUEUED_SECONDS=2.0)

    started = run_manage(env, "analyze", "poems", "--json")
    assert started.returncode == 0, started.stderr
    run = AnalysisRun.objects.get(pk=json.loads(started.stdout)["id"])
    assert run.status == AnalysisRun.Status.QUEUED
    assert broker_lose_everything(tmp_path) == 1, "the task was waiting in the broker"
    time.sleep(3)

    with worker(env):
        wait_for_run_end(run)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert (run.sends, run.attempts) == (2, 1)


def test_the_maintenance_schedule_runs_in_a_worker_without_any_request(researcher, tmp_path):
    """`make run`'s worker embeds Celery beat (-B): with no page open, a lease that ran out
    gives its slot back (nothing but the schedule does that), and a queued run whose
    message was lost is sent again and finishes."""
    from ratings import services as rating_services
    from ratings.models import Assignment
    from tests.ratings.raters import open_study

    closed_study(researcher)
    rated = open_study(
        researcher,
        slug="leases",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        lease_minutes=5,
    )
    participant = rating_services.participant_consent(study=rated)
    lease = rating_services.assignment_next(participant=participant, study=rated)
    Assignment.objects.filter(pk=lease.pk).update(lease_expires_at=lease.served_at)
    env = environment(tmp_path, maintenance_seconds=1, QUEUED_SECONDS=2.0)

    started = run_manage(env, "analyze", "poems", "--json")
    assert started.returncode == 0, started.stderr
    run = AnalysisRun.objects.get(pk=json.loads(started.stdout)["id"])
    assert broker_lose_everything(tmp_path) == 1
    with worker(env, beat=True):
        wait_until(
            lambda: not Assignment.objects.get(pk=lease.pk).holds_slot,
            seconds=120,
            what="the schedule to give the lapsed lease's slot back",
        )
        wait_for_run_end(run)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert run.sends == 2
