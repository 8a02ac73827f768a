"""/api/studies/<slug>/analyses/ and /api/analyses/<id>/: start, follow, read results."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis import services
from analysis.models import AnalysisRun
from analysis.tasks import analysis_run_task
from tests.api.conftest import error_of
from tests.conftest import add_text_samples
from tests.factories import closed_study

URL = "/api/studies/poems/analyses/"
FIXED_KEYS = {
    "n_ratings",
    "n_participants",
    "n_samples",
    "parameters",
    "groups",
    "claims",
    "omnibus",
    "pairwise",
    "model",
    "reliability",
}


@pytest.fixture
def study(researcher):
    return closed_study(researcher, raters=10)


def start(api, django_capture_on_commit_callbacks, body=None):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(URL, body or {}, format="json")
    return response, callbacks


@pytest.mark.django_db
def test_starting_an_analysis_answers_202_with_the_queued_run_and_enqueues_it_once(
    api, study, researcher, django_capture_on_commit_callbacks
):
    response, callbacks = start(api, django_capture_on_commit_callbacks, {"seed": 7})

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["results"] is None
    assert body["parameters"]["seed"] == 7 and body["parameters"]["alpha"] == 0.05
    assert response["Location"] == body["url"]
    assert len(callbacks) == 1
    run = AnalysisRun.objects.get(pk=body["id"])
    assert run.requested_by == researcher


@pytest.mark.django_db
def test_a_finished_run_shows_the_results_document_the_verdicts_and_plot_urls(
    api, study, django_capture_on_commit_callbacks
):
    response, _ = start(api, django_capture_on_commit_callbacks)
    analysis_run_task(response.json()["id"])

    body = api.get(response.json()["url"]).json()

    assert body["status"] == "succeeded" and body["percent"] == 100
    assert set(body["results"]) >= FIXED_KEYS
    verdicts = {tuple(c["groups"]): c["verdict"] for c in body["results"]["claims"]}
    assert set(verdicts) >= {("human",), ("ai",), ("collaboration",), ("collaboration", "human")}
    assert all(v in {"supported", "contradicted", "inconclusive"} for v in verdicts.values())
    plot = body["plots"][0]
    image = api.get(plot["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_a_study_without_ratings_gives_nulls_with_reasons(
    api, draft_study, django_capture_on_commit_callbacks
):
    add_text_samples(draft_study)
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(URL, {}, format="json")
    analysis_run_task(response.json()["id"])

    claim = api.get(response.json()["url"]).json()["results"]["claims"][0]

    assert claim["verdict"] is None and claim["observed"] is None
    assert claim["reasons"]


@pytest.mark.django_db
def test_bad_parameters_are_400_naming_them(api, study):
    response = api.post(URL, {"alpha": 0.9, "seed": -1, "model_method": "magic"}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"alpha", "seed", "model_method"}
    assert not AnalysisRun.objects.exists()


@pytest.mark.django_db
def test_an_unknown_criterion_is_400_from_the_service(api, study):
    response = api.post(URL, {"criterion": "style"}, format="json")

    assert response.status_code == 400
    assert "unknown criterion" in error_of(response)["fields"]["criterion"][0]


@pytest.mark.django_db
def test_another_researchers_analyses_are_404_and_no_token_is_401(
    api, other_api, anonymous, study, django_capture_on_commit_callbacks
):
    response, _ = start(api, django_capture_on_commit_callbacks)
    run_url = response.json()["url"]

    assert other_api.get(URL).status_code == 404
    assert other_api.post(URL, {}, format="json").status_code == 404
    assert other_api.get(run_url).status_code == 404
    assert other_api.get(run_url + "plots/means.png").status_code == 404
    assert anonymous.get(run_url).status_code == 401
    assert anonymous.post(URL, {}, format="json").status_code == 401
    assert AnalysisRun.objects.count() == 1


@pytest.mark.django_db
def test_a_missing_plot_is_404_in_json_even_when_png_is_asked_for(
    api, study, django_capture_on_commit_callbacks
):
    response, _ = start(api, django_capture_on_commit_callbacks)

    missing = api.get(response.json()["url"] + "plots/means.png", HTTP_ACCEPT="image/png")

    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


@pytest.mark.django_db
def test_the_list_shows_runs_newest_first_without_documents_and_filters_by_status(
    api, study, django_capture_on_commit_callbacks
):
    first, _ = start(api, django_capture_on_commit_callbacks)
    analysis_run_task(first.json()["id"])
    second, _ = start(api, django_capture_on_commit_callbacks)

    body = api.get(URL).json()
    assert [run["id"] for run in body["results"]] == [second.json()["id"], first.json()["id"]]
    assert "results" not in body["results"][0]
    assert [r["id"] for r in api.get(URL + "?status=succeeded").json()["results"]] == [
        first.json()["id"]
    ]


def _queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_run_list_takes_the_same_number_of_queries_for_one_run_or_many(api, study, researcher):
    services.analysis_create(study=study, user=researcher)
    one = _queries(api)
    for seed in range(1, 6):
        services.analysis_create(study=study, user=researcher, seed=seed)
    assert _queries(api) == one
