"""The Plan section of a study's admin page: compute a draft's plan, see its table, plot and
recommendation, and see it frozen once the study opens."""

import pytest
from django.urls import reverse

from analysis import plan_services
from analysis.models import PlanJob
from studies import services
from tests.conftest import add_text_samples


@pytest.fixture
def logged_in(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def ready(draft_study):
    add_text_samples(draft_study, per_group=6)
    return draft_study


def page_of(client, study) -> str:
    response = client.get(reverse("admin:studies_study_change", args=[study.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_draft_without_a_plan_offers_to_compute_one(logged_in, ready):
    html = page_of(logged_in, ready)
    assert 'id="study-plan"' in html
    assert "No plan yet." in html
    assert "Compute plan" in html
    assert reverse("analysis:study_plan", args=["poems"]) in html


def test_computing_a_plan_shows_its_table_plot_and_recommendation(logged_in, ready):
    response = logged_in.post(
        reverse("analysis:study_plan", args=["poems"]),
        {"participant": "0.5", "sample": "0.4", "residual": "1", "ratings_per_sample": "8"},
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.plan["variance"]["sample"] == 0.4
    assert ready.plan["design"]["ratings_per_sample"] == 8
    html = page_of(logged_in, ready)
    assert ready.plan["recommendation"]["sentence"][:40] in html
    assert html.count("<tr><td>") >= len(ready.plan["claims"])
    first = ready.plan["claims"][0]
    assert f"{round(100 * first['p_supported'])}%" in html
    plot = logged_in.get(reverse("analysis:study_plan_plot", args=["poems"]))
    assert plot.status_code == 200
    assert plot["Content-Type"] == "image/png"
    assert plot.content.startswith(b"\x89PNG")


def test_half_the_variances_are_refused_with_a_message(logged_in, ready):
    response = logged_in.post(
        reverse("analysis:study_plan", args=["poems"]), {"participant": "0.5"}, follow=True
    )
    assert "give all three variances, or none" in response.content.decode()
    ready.refresh_from_db()
    assert ready.plan is None


def test_an_opened_study_shows_its_frozen_plan_and_refuses_a_new_one(logged_in, ready):
    logged_in.post(reverse("analysis:study_plan", args=["poems"]), {})
    services.study_open(study=ready)
    html = page_of(logged_in, ready)
    assert "frozen with the design" in html
    assert "Compute plan" not in html
    response = logged_in.post(reverse("analysis:study_plan", args=["poems"]), {}, follow=True)
    assert "frozen when it opened" in response.content.decode()


def test_another_researchers_plan_is_not_found(client, other_researcher, ready):
    client.force_login(other_researcher)
    assert client.post(reverse("analysis:study_plan", args=["poems"]), {}).status_code == 404
    assert client.get(reverse("analysis:study_plan_plot", args=["poems"])).status_code == 404


def test_a_long_simulation_goes_to_a_worker_whose_progress_and_plan_the_admin_shows(
    logged_in, ready, monkeypatch
):
    monkeypatch.setattr(plan_services, "SIMULATION_BUDGET", 0)
    response = logged_in.post(
        reverse("analysis:study_plan", args=["poems"]),
        {"method": "simulation", "simulations": "6", "ratings_per_sample": "3"},
        follow=True,
    )
    job = PlanJob.objects.get()
    job_page = reverse("admin:analysis_planjob_change", args=[job.pk])
    assert "went to a worker" in response.content.decode()
    assert f'href="{job_page}"' in response.content.decode()
    ready.refresh_from_db()
    assert ready.plan is None
    jobs = reverse("admin:analysis_planjob_changelist") + f"?study__id__exact={ready.pk}"
    assert jobs.replace("&", "&amp;") in page_of(logged_in, ready)
    listed = logged_in.get(jobs).content.decode()
    assert "plan #" in listed and "waiting for a worker" in listed

    plan_services.analysis_plan_execute(job_id=job.pk)  # what the worker runs

    ready.refresh_from_db()
    detail = logged_in.get(job_page).content.decode()
    assert "Succeeded" in detail
    sentence = ready.plan["recommendation"]["sentence"]
    assert sentence[:40] in detail
    first = ready.plan["claims"][0]
    assert f"supported {round(100 * first['p_supported'])}%" in detail
    html = page_of(logged_in, ready)
    assert "Plan: simulation" in html
    assert sentence[:40] in html


def test_another_researchers_plan_jobs_are_not_shown(client, other_researcher, ready):
    job = PlanJob.objects.create(study=ready, parameters={})
    client.force_login(other_researcher)
    listed = client.get(reverse("admin:analysis_planjob_changelist"))
    assert f"plan #{job.pk}" not in listed.content.decode()
    page = client.get(reverse("admin:analysis_planjob_change", args=[job.pk]))
    assert page.status_code in (302, 404)
