"""POST /api/studies/<slug>/plan/: a draft's power plan, kept and frozen when it opens; a
long simulation as a worker's job, GET /api/plans/<id>/. (The job in a real worker:
tests/analysis/test_worker_plan.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from analysis import plan_services
from analysis.models import PlanJob
from analysis.tasks import analysis_reap_task
from tests.api.conftest import error_of
from tests.conftest import add_text_samples


@pytest.fixture
def ready(draft_study):
    add_text_samples(draft_study, per_group=8)
    return draft_study


def test_a_draft_is_planned_from_its_own_design_and_the_plan_is_kept(api, ready):
    response = api.post("/api/studies/poems/plan/", {"ratings_per_sample": 6}, format="json")

    assert response.status_code == 200, response.content
    plan = response.json()
    assert plan["method"] == "analytic"
    assert plan["design"]["groups"] == ["human", "ai", "collaboration"]
    assert plan["design"]["samples_per_group"] == 8
    assert plan["design"]["ratings_per_sample"] == 6
    assert plan["variance"]["source"].startswith("default: the demo's simulated raters")
    kinds = [(c["kind"], c["groups"]) for c in plan["claims"]]
    assert ("difference", ["collaboration", "human"]) in kinds
    assert all(0 <= c["p_supported"] <= 1 for c in plan["claims"])
    assert plan["recommendation"]["limited_by"] == "samples"
    study = api.get("/api/studies/poems/").json()
    assert study["plan"] == plan


def test_given_variances_and_truths_change_the_plan(api, ready):
    body = {
        "variance": {"participant": 0.1, "sample": 0.05, "residual": 0.2},
        "truth": {"human": 6.9},
        "samples_per_group": 30,
    }
    plan = api.post("/api/studies/poems/plan/", body, format="json").json()
    assert plan["variance"] == {
        "participant": 0.1,
        "sample": 0.05,
        "residual": 0.2,
        "source": "given",
    }
    human = next(c for c in plan["claims"] if c["groups"] == ["human"])
    assert human["assumed"] == pytest.approx(6.9)
    assert human["p_contradicted"] > 0.5


def test_a_small_simulation_runs_in_the_request_and_a_large_one_goes_to_a_worker(
    api, ready, monkeypatch
):
    body = {"method": "simulation", "simulations": 10, "seed": 3}
    small = api.post("/api/studies/poems/plan/", body, format="json")
    assert small.status_code == 200, small.content
    assert small.json()["method"] == "simulation"
    # Past the budget: lowered here so that the worker's part stays quick to run.
    monkeypatch.setattr(plan_services, "SIMULATION_BUDGET", 12 * 3 * 3 * 8 - 1)
    body = {"method": "simulation", "simulations": 12, "seed": 3, "ratings_per_sample": 3}
    large = api.post("/api/studies/poems/plan/", body, format="json")

    assert large.status_code == 202, large.content
    job = large.json()
    assert large["Location"] == job["url"] == f"http://testserver/api/plans/{job['id']}/"
    assert (job["status"], job["plan"], job["study"]) == ("queued", None, "poems")
    assert job["parameters"]["variance"]["residual"] > 0  # the defaults, as resolved
    assert job["parameters"]["variance_source"].startswith("default: the demo's simulated")
    assert api.get(job["url"]).json()["status"] == "queued"

    plan_services.analysis_plan_execute(job_id=job["id"])  # what the worker runs

    done = api.get(job["url"]).json()
    assert (done["status"], done["percent"], done["error"]) == ("succeeded", 100, "")
    here = plan_services.analysis_plan_compute(
        study=ready,
        method="simulation",
        simulations=12,
        seed=3,
        ratings_per_sample=3,
        save=False,
    )
    assert done["plan"]["claims"] == here["claims"]
    assert api.get("/api/studies/poems/").json()["plan"] == done["plan"]


def test_a_plan_job_is_checked_before_it_is_queued_and_seen_only_by_its_researcher(
    api, other_api, ready, monkeypatch
):
    monkeypatch.setattr(plan_services, "SIMULATION_BUDGET", 0)
    bad = {"method": "simulation", "simulations": 5, "truth": {"nobody": 5}}
    refused = api.post("/api/studies/poems/plan/", bad, format="json")
    assert refused.status_code == 400
    assert "unknown group" in error_of(refused)["message"]
    assert not PlanJob.objects.exists()
    job = api.post(
        "/api/studies/poems/plan/", {"method": "simulation", "simulations": 5}, format="json"
    ).json()
    assert other_api.get(job["url"]).status_code == 404
    assert api.get("/api/plans/999999/").status_code == 404


def test_a_plan_job_whose_study_opened_meanwhile_fails_saying_why(api, ready, monkeypatch):
    monkeypatch.setattr(plan_services, "SIMULATION_BUDGET", 0)
    job = api.post(
        "/api/studies/poems/plan/", {"method": "simulation", "simulations": 3}, format="json"
    ).json()
    assert api.post("/api/studies/poems/open/").status_code == 200

    plan_services.analysis_plan_execute(job_id=job["id"])

    failed = api.get(job["url"]).json()
    assert failed["status"] == "failed" and failed["plan"] is None
    assert "plan" in failed["error"] and "open" in failed["error"]
    assert plan_services.analysis_plan_execute(job_id=job["id"]) is None  # nothing to claim


def test_an_opened_study_keeps_its_frozen_plan_and_refuses_a_new_one_with_409(api, ready):
    plan = api.post("/api/studies/poems/plan/", {}, format="json").json()
    opened = api.post("/api/studies/poems/open/")
    assert opened.status_code == 200
    assert opened.json()["plan"] == plan

    again = api.post("/api/studies/poems/plan/", {}, format="json")

    assert again.status_code == 409
    assert error_of(again)["code"] == "design_frozen"
    assert "plan" in error_of(again)["message"]


def test_a_draft_without_samples_can_be_planned_with_samples_per_group_given(api, draft_study):
    refused = api.post("/api/studies/poems/plan/", {}, format="json")
    assert refused.status_code == 400
    assert "samples_per_group" in error_of(refused)["message"]
    given = api.post("/api/studies/poems/plan/", {"samples_per_group": 12}, format="json")
    assert given.status_code == 200
    assert given.json()["design"]["samples_per_group"] == 12


def test_another_researchers_study_is_404_and_bad_input_is_named(api, other_api, ready):
    assert other_api.post("/api/studies/poems/plan/", {}, format="json").status_code == 404
    bad = api.post("/api/studies/poems/plan/", {"variance": {"participant": -1}}, format="json")
    assert bad.status_code == 400
    fields = error_of(bad)["fields"]
    assert "variance.participant" in fields and "variance.sample" in fields
    unknown = api.post("/api/studies/poems/plan/", {"truth": {"nobody": 5}}, format="json")
    assert unknown.status_code == 400
    assert "unknown group" in error_of(unknown)["message"]


def test_plan_jobs_that_can_no_longer_end_are_failed_by_the_schedule(api, ready, monkeypatch):
    """A running job past the hard time limit lost its worker (the limit kills any job
    still at work); a queued one no worker took lost its message. Celery beat's reaper
    fails both, saying why; a fresh job is left alone."""
    monkeypatch.setattr(plan_services, "SIMULATION_BUDGET", 0)
    urls = [
        api.post(
            "/api/studies/poems/plan/", {"method": "simulation", "simulations": 2}, format="json"
        ).json()["url"]
        for _ in range(3)
    ]
    lost, dead, _fresh = PlanJob.objects.order_by("id")
    now = timezone.now()
    PlanJob.objects.filter(pk=lost.pk).update(created_at=now - timedelta(seconds=901))
    PlanJob.objects.filter(pk=dead.pk).update(
        status="running", started_at=now - timedelta(seconds=960 + 121)
    )

    analysis_reap_task()  # what Celery beat runs every MAINTENANCE_SECONDS

    lost_job, dead_job, fresh_job = (api.get(url).json() for url in urls)
    assert lost_job["status"] == dead_job["status"] == "failed"
    assert "No worker took the plan within 900 s" in lost_job["error"]
    assert "The worker stopped during the plan" in dead_job["error"]
    assert fresh_job["status"] == "queued"
    assert plan_services.analysis_plan_execute(job_id=dead.pk) is None  # a redelivery
