"""POST /api/studies/<slug>/plan/: a draft's power plan, kept and frozen when it opens."""

import pytest

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
    body = {"variance": {"participant": 0.1, "sample": 0.05, "residual": 0.2},
            "truth": {"human": 6.9}, "samples_per_group": 30}  # fmt: skip
    plan = api.post("/api/studies/poems/plan/", body, format="json").json()
    assert plan["variance"] == {"participant": 0.1, "sample": 0.05, "residual": 0.2,
                                "source": "given"}  # fmt: skip
    human = next(c for c in plan["claims"] if c["groups"] == ["human"])
    assert human["assumed"] == pytest.approx(6.9)
    assert human["p_contradicted"] > 0.5


def test_a_small_simulation_runs_in_the_request_and_a_large_one_is_refused(api, ready):
    body = {"method": "simulation", "simulations": 10, "seed": 3}
    small = api.post("/api/studies/poems/plan/", body, format="json")
    assert small.status_code == 200, small.content
    assert small.json()["method"] == "simulation"
    large = api.post("/api/studies/poems/plan/",
                     {"method": "simulation", "simulations": 10000}, format="json")  # fmt: skip
    assert large.status_code == 400
    assert "manage.py plan --study poems --method simulation" in error_of(large)["message"]


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
