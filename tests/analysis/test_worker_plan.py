"""A Monte Carlo plan too long for a request runs in a real Celery worker process (on the
configured broker: the filesystem one by default, Redis when REDIS_URL is set) and ends
with the plan the same inputs and seed give in-process.

The request is made in a `manage.py shell` subprocess configured as the worker is (the
test database, the test's own broker folder and queue), so the job is stored and its task
sent exactly as a web process does it, once the transaction commits."""

import pytest

from analysis.models import PlanJob
from analysis.plan_services import analysis_plan_compute
from analysis.planning import Variance
from tests.conftest import add_text_samples
from tests.processes import environment, manage, wait_until, worker

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST = """
from analysis.plan_services import analysis_plan_request
from analysis.planning import Variance
from studies.models import Study

job = analysis_plan_request(
    study=Study.objects.get(slug="poems"), method="simulation", simulations=24, seed=5,
    variance=Variance(0.5, 0.4, 1.0), ratings_per_sample=4, simulation_budget=1000,
)
print(job.pk, job.status)
"""


def test_a_simulation_plan_sent_to_a_worker_ends_with_the_in_process_answer(draft_study, tmp_path):
    add_text_samples(draft_study, per_group=6)
    env = environment(tmp_path)

    job_id, status = manage(env, "shell", "-c", REQUEST).strip().splitlines()[-1].split()
    assert status == "queued"  # 24 studies x 72 ratings is past the budget of 1,000
    with worker(env):
        wait_until(
            lambda: PlanJob.objects.filter(pk=job_id, status__in=PlanJob.FINISHED).exists(),
            seconds=180,
            what="the plan job to end",
        )

    job = PlanJob.objects.get(pk=job_id)
    assert job.status == PlanJob.Status.SUCCEEDED, job.error
    assert (job.percent, job.stage) == (100, "done")
    assert job.started_at <= job.finished_at
    here = analysis_plan_compute(
        study=draft_study,
        method="simulation",
        simulations=24,
        seed=5,
        variance=Variance(0.5, 0.4, 1.0),
        ratings_per_sample=4,
        save=False,
    )
    assert job.plan["method"] == "simulation"
    assert job.plan["design"] == here["design"]
    assert job.plan["parameters"] == here["parameters"]
    for worked, computed in zip(job.plan["claims"], here["claims"], strict=True):
        for key in ("p_supported", "p_contradicted", "p_inconclusive"):
            assert worked[key] == computed[key], key  # counts of the same simulated studies
        assert worked["ci95_halfwidth"] == pytest.approx(computed["ci95_halfwidth"], rel=1e-9)
    assert job.plan["recommendation"] == here["recommendation"]
    # The worker kept its plan on the draft, as a plan computed in the request is.
    draft_study.refresh_from_db()
    assert draft_study.plan == job.plan
