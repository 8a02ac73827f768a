"""/api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI from local static files)."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

OPERATIONS = {
    ("/api/studies/", "get"),
    ("/api/studies/", "post"),
    ("/api/studies/{slug}/", "get"),
    ("/api/studies/{slug}/", "put"),
    ("/api/studies/{slug}/", "patch"),
    ("/api/studies/{slug}/open/", "post"),
    ("/api/studies/{slug}/close/", "post"),
    ("/api/studies/{slug}/plan/", "post"),
    ("/api/studies/{slug}/samples/", "get"),
    ("/api/studies/{slug}/samples/", "post"),
    ("/api/studies/{slug}/ratings/", "get"),
    ("/api/studies/{slug}/analyses/", "get"),
    ("/api/studies/{slug}/analyses/", "post"),
    ("/api/analyses/{run_id}/", "get"),
    ("/api/analyses/{run_id}/plots/{key}.png", "get"),
    ("/api/plans/{job_id}/", "get"),
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_with_every_endpoint(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    found = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert found == OPERATIONS


@pytest.mark.django_db
def test_every_operation_has_response_examples_and_bodies_have_request_examples(schema):
    for path, method in OPERATIONS:
        operation = schema["paths"][path][method]
        if path.endswith(".png"):
            continue  # a binary image has no example
        success = next(r for code, r in operation["responses"].items() if code.startswith("2"))
        assert any(c.get("examples") for c in success["content"].values()), (path, method)
        if "requestBody" in operation:
            for content in operation["requestBody"]["content"].values():
                assert content.get("examples"), (path, method)


@pytest.mark.django_db
def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    for path, method in OPERATIONS:
        responses = schema["paths"][path][method]["responses"]
        for code in ("400", "401", "404", "429"):
            content = responses[code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, code)
            assert content["examples"]
    conflict = schema["paths"]["/api/studies/{slug}/"]["patch"]["responses"]["409"]
    assert conflict["content"]["application/json"]["examples"]
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"status", "code", "message", "fields"}


@pytest.mark.django_db
def test_the_results_document_is_a_component_with_the_fixed_keys(schema):
    components = schema["components"]["schemas"]
    document = components["ResultsDocument"]
    fixed = {
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
    optional = {"detection", "protocol", "pairwise_preference", "diversity"}
    assert set(document["properties"]) == fixed | optional
    # detection only when raters guessed; diversity not in analyze_csv without --samples
    assert set(document["required"]) == fixed
    pairwise = components["PairwisePreference"]
    assert set(pairwise["properties"]) == {
        "n_comparisons",
        "n_participants",
        "ties_allowed",
        "win_rates",
        "bradley_terry",
        "claims",
        "agreement",
    }
    assert set(components["WinRate"]["properties"]) >= {
        "groups",
        "wins",
        "losses",
        "ties",
        "rate",
        "ci95",
        "p_binomial",
    }
    assert set(components["BradleyTerry"]["properties"]) >= {
        "reference",
        "abilities",
        "position_effect",
        "p_first_position",
    }
    assert set(components["OrderingClaim"]["properties"]) >= {
        "kind",
        "groups",
        "verdict",
        "probability",
        "ci95",
    }
    assert set(components["PairAgreement"]["properties"]) >= {
        "pairs_with_two_raters",
        "rate",
        "chance",
    }
    assert set(components["Chance"]["properties"]) >= {
        "p0",
        "p",
        "ci95",
        "p_binomial_naive",
        "ci95_binomial_naive",
    }
    assert set(components["ClaimResult"]["properties"]) >= {
        "kind",
        "groups",
        "claimed",
        "observed",
        "ci95",
        "p",
        "verdict",
    }
    assert set(components["MixedModel"]["properties"]) >= {"method", "means", "variance"}
    assert set(components["Diversity"]["properties"]) == {
        "model",
        "groups",
        "between_groups",
        "differences",
        "reasons",
    }
    assert set(components["DiversityGroup"]["properties"]) == {
        "n_samples",
        "n_briefs",
        "semantic_similarity",
        "tfidf_similarity",
        "distinct_1",
        "distinct_2",
        "distinct_3",
        "compression_ratio",
        "reasons",
    }
    assert set(components["DiversityDifference"]["properties"]) == {
        "groups",
        "measure",
        "difference",
        "ci95",
        "p",
        "p_holm",
        "reasons",
    }
    detail = components["AnalysisRunDetail"]["properties"]["results"]
    assert "ResultsDocument" in str(detail)


def json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def detection_of(true, guessed, groups):
    import numpy as np

    from analysis.engine.guess_detection import detection_section
    from analysis.engine.reasons import json_safe

    n = len(true)
    return json_safe(
        detection_section(
            np.array(true),
            np.array(guessed),
            groups,
            participant=np.arange(n) // 4,
            names=np.array([f"p{i}" for i in range(n // 4 + 1)]),
            sample=np.arange(n),
            alpha=0.05,
        )
    )


@pytest.mark.django_db
def test_the_detection_components_describe_every_key_of_the_section(schema):
    """The schema names each key the engine writes in `detection`, its chance tests,
    per-group and per-rater entries and the signal detection, and no other; and sections
    the engine writes, with and without signal detection and with statistics that are null
    (a group whose guesses were all wrong), conform to it."""
    import jsonschema

    groups = ["human", "ai", "collaboration"]
    section = detection_of(groups * 4, ["human", "human", "ai", "ai"] * 3, groups)
    components = schema["components"]["schemas"]

    def described(name: str) -> set[str]:
        return set(components[name]["properties"])

    assert described("Detection") == set(section)
    assert described("AccuracyInterval") == set(section["accuracy_ci95"])
    assert described("Chance") == set(section["chance_uniform"]) == set(section["chance_majority"])
    assert described("GroupAccuracy") == set(section["per_group"]["human"])
    assert described("SignalDetection") == set(section["signal_detection"])
    assert described("Estimate") == set(section["signal_detection"]["d_prime"])
    assert described("RaterDetection") == set(section["per_participant"][0])
    document = components["ResultsDocument"]["properties"]["detection"]
    assert "Detection" in str(document)

    assert section["per_group"]["collaboration"]["ci95"] == [None, None]
    without_sdt = detection_of(["a", "b"] * 4, ["a", "a", "b", "a"] * 2, ["a", "b"])
    assert without_sdt["signal_detection"]["d_prime"] is None
    validator = {
        "$ref": "#/components/schemas/Detection",
        "components": json_schema(schema)["components"],
    }
    for written in (section, without_sdt):
        jsonschema.validate(written, validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**section, "per_participant": [{"participant": "p0"}]}, validator)


@pytest.mark.django_db
def test_the_plan_document_is_a_component_with_the_fixed_keys(schema):
    components = schema["components"]["schemas"]
    assert set(components["PlanDocument"]["properties"]) == {
        "method",
        "design",
        "variance",
        "parameters",
        "claims",
        "recommendation",
    }
    assert set(components["PlanClaim"]["properties"]) == {
        "kind",
        "groups",
        "claimed",
        "assumed",
        "p_supported",
        "p_contradicted",
        "p_inconclusive",
        "ci95_halfwidth",
    }
    assert set(components["PlanRecommendation"]["properties"]) >= {
        "samples_per_group",
        "ratings_per_sample",
        "raters",
        "p_right_verdict",
        "limited_by",
    }
    plan = schema["paths"]["/api/studies/{slug}/plan/"]["post"]
    assert "PlanDocument" in str(plan["responses"]["200"])
    assert "PlanJob" in str(plan["responses"]["202"])
    assert plan["responses"]["202"]["content"]["application/json"]["examples"]
    assert plan["responses"]["409"]["content"]["application/json"]["examples"]
    job = components["PlanJob"]["properties"]
    assert {"status", "percent", "plan", "url", "error"} <= set(job)
    assert "PlanDocument" in str(job["plan"])
    poll = schema["paths"]["/api/plans/{job_id}/"]["get"]
    assert "PlanJob" in str(poll["responses"]["200"])


@pytest.mark.django_db
def test_token_authentication_is_described(schema):
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert token == {**token, "type": "apiKey", "in": "header", "name": "Authorization"}


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_ui_from_local_static_files_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    scripts = [s for s in sources if s.endswith(".js")]
    assert any("swagger-ui-bundle" in s for s in scripts)
    for source in scripts:
        path = source.split("/static/", 1)[1]
        assert finders.find(path), f"{path} is not a local static file"
    # The page's own start-up script is a file too (no inline script under the CSP).
    assert "<script>" not in page
    (setup,) = [s for s in sources if s.startswith("/api/docs/?script")]
    assert "/api/schema/" in client.get(setup).content.decode()
