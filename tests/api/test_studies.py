"""/api/studies/: list, create, read, update while draft, open and close."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studies.models import Study
from tests.api.conftest import client_for, error_of
from tests.conftest import SEED_GROUPS, add_text_samples

SEED = {
    "slug": "replication",
    "title": "Does collaboration write better?",
    "groups": [
        {"key": "collaboration", "label": "Human-AI collaboration", "claimed_mean": 8.5},
        {"key": "human", "label": "Human only", "claimed_mean": 6.5},
        {"key": "ai", "label": "AI only", "claimed_mean": 4.5},
    ],
    "claims": [
        {"kind": "difference", "group": "collaboration", "other_group": "human", "value": 2.0},
        {"kind": "difference", "group": "human", "other_group": "ai", "value": 2.0},
    ],
}


@pytest.mark.django_db
def test_a_study_is_created_with_its_groups_claims_and_the_default_settings(api, researcher):
    response = api.post("/api/studies/", SEED, format="json")

    assert response.status_code == 201, response.json()
    assert response["Location"].endswith("/api/studies/replication/")
    body = response.json()
    assert body["status"] == "draft" and body["owner"] == "ada"
    assert [(g["key"], g["claimed_mean"]) for g in body["groups"]] == [
        ("collaboration", 8.5),
        ("human", 6.5),
        ("ai", 4.5),
    ]
    differences = [
        (c["group"], c["other_group"], c["value"])
        for c in body["claims"]
        if c["kind"] == "difference"
    ]
    assert differences == [("collaboration", "human", 2.0), ("human", "ai", 2.0)]
    assert (body["scale_min"], body["scale_max"], body["ratings_per_sample"]) == (1, 10, 5)
    assert body["criteria"] == [{"key": "quality", "label": "Overall quality"}]
    study = Study.objects.get(slug="replication")
    assert study.owner == researcher and study.claims.count() == 5


@pytest.mark.django_db
def test_settings_given_at_creation_are_stored(api):
    payload = {
        **SEED,
        "scale_min": 0,
        "scale_max": 100,
        "scale_step": 5,
        "alpha": 0.01,
        "scale_anchors": {"0": "Awful", "100": "Superb"},
        "samples_per_rater": 9,
        "criteria": [{"key": "style", "label": "Style"}, {"key": "plot"}],
    }
    response = api.post("/api/studies/", payload, format="json")

    assert response.status_code == 201, response.json()
    study = Study.objects.get(slug="replication")
    assert (study.scale_min, study.scale_max, study.scale_step, study.alpha) == (0, 100, 5, 0.01)
    assert [c["key"] for c in study.criteria] == ["style", "plot"]
    assert study.samples_per_rater == 9


@pytest.mark.django_db
def test_creating_without_a_token_is_401_with_a_token_challenge(anonymous):
    response = anonymous.post("/api/studies/", SEED, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"
    assert not Study.objects.exists()


@pytest.mark.django_db
def test_a_wrong_token_is_401(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anonymous.get("/api/studies/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_user_who_is_not_a_researcher_is_refused_with_403(django_user_model):
    user = django_user_model.objects.create_user("mallory", password="x")
    response = client_for(user).get("/api/studies/")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.django_db
def test_invalid_groups_are_named_by_their_position_and_field(api):
    payload = {**SEED, "groups": [{"key": "human"}, {"key": "not a slug"}, {"label": "x"}]}
    response = api.post("/api/studies/", payload, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"groups[1].key", "groups[2].key"}
    assert not Study.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_group_key_found_by_the_service_is_named_by_its_position(api):
    payload = {**SEED, "groups": [{"key": "human"}, {"key": "human"}], "claims": []}
    response = api.post("/api/studies/", payload, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["groups[1].key"]
    assert not Study.objects.exists(), "the whole study is rolled back"


@pytest.mark.django_db
def test_a_claim_on_an_unknown_group_is_named_by_its_position(api):
    claims = [
        SEED["claims"][0],
        {"kind": "difference", "group": "robot", "other_group": "ai", "value": 1},
    ]
    response = api.post("/api/studies/", {**SEED, "claims": claims}, format="json")

    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert list(fields) == ["claims[1].group"]
    assert "unknown group 'robot'" in fields["claims[1].group"][0]


@pytest.mark.django_db
def test_settings_the_design_rules_refuse_are_named(api):
    response = api.post("/api/studies/", {**SEED, "scale_min": 5, "scale_max": 3}, format="json")

    assert response.status_code == 400
    assert "scale_max" in error_of(response)["fields"]


@pytest.mark.django_db
def test_a_taken_slug_is_a_400_on_slug(api, draft_study):
    response = api.post("/api/studies/", {**SEED, "slug": draft_study.slug}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["slug"]


@pytest.mark.django_db
def test_researchers_list_only_their_own_studies(api, other_api, draft_study):
    assert [s["slug"] for s in api.get("/api/studies/").json()["results"]] == ["poems"]
    assert other_api.get("/api/studies/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.django_db
def test_a_superuser_lists_every_study(draft_study, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    assert [s["slug"] for s in client_for(admin).get("/api/studies/").json()["results"]] == [
        "poems"
    ]


@pytest.mark.django_db
def test_the_list_filters_by_status(api, draft_study):
    assert api.get("/api/studies/?status=open").json()["count"] == 0
    assert api.get("/api/studies/?status=draft").json()["count"] == 1
    response = api.get("/api/studies/?status=nonsense")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["status"]


def _list_queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/studies/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_study_list_takes_the_same_number_of_queries_for_one_study_or_many(api, researcher):
    from studies import services

    services.study_create(owner=researcher, slug="s0", title="S", groups=SEED_GROUPS)
    one = _list_queries(api)
    for index in range(1, 6):
        study = services.study_create(
            owner=researcher,
            slug=f"s{index}",
            title="S",
            groups=SEED_GROUPS,
            claims=[{"kind": "difference", "group": "human", "other_group": "ai", "value": 1}],
        )
        add_text_samples(study, per_group=1)
    assert _list_queries(api) == one
    assert one <= 7


@pytest.mark.django_db
def test_another_researchers_study_is_404_never_403(other_api, draft_study):
    for response in (
        other_api.get("/api/studies/poems/"),
        other_api.patch("/api/studies/poems/", {"title": "Mine"}, format="json"),
        other_api.post("/api/studies/poems/open/"),
        other_api.post("/api/studies/poems/close/"),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    draft_study.refresh_from_db()
    assert draft_study.title == "Poems" and draft_study.status == "draft"


@pytest.mark.django_db
def test_reading_a_study_without_a_token_is_401(anonymous, draft_study):
    assert anonymous.get("/api/studies/poems/").status_code == 401


@pytest.mark.django_db
def test_a_draft_study_is_updated_with_patch(api, draft_study):
    response = api.patch(
        "/api/studies/poems/", {"title": "Poems II", "ratings_per_sample": 3}, format="json"
    )

    assert response.status_code == 200, response.json()
    draft_study.refresh_from_db()
    assert (draft_study.title, draft_study.ratings_per_sample) == ("Poems II", 3)


@pytest.mark.django_db
def test_put_replaces_the_fields_and_resets_those_left_out(api, draft_study):
    api.patch("/api/studies/poems/", {"samples_per_rater": 7}, format="json")
    response = api.put("/api/studies/poems/", {"slug": "poems", "title": "New"}, format="json")

    assert response.status_code == 200, response.json()
    draft_study.refresh_from_db()
    assert (draft_study.title, draft_study.samples_per_rater) == ("New", 20)


@pytest.mark.django_db
def test_an_update_with_a_wrong_type_names_the_field(api, draft_study):
    response = api.patch("/api/studies/poems/", {"ratings_per_sample": "many"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["ratings_per_sample"]


@pytest.mark.django_db
def test_changing_the_design_of_an_open_study_is_409(api, draft_study):
    add_text_samples(draft_study)
    assert api.post("/api/studies/poems/open/").status_code == 200

    response = api.patch("/api/studies/poems/", {"scale_max": 7}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "design_frozen" and "scale_max" in error["message"]
    draft_study.refresh_from_db()
    assert draft_study.scale_max == 10


@pytest.mark.django_db
def test_the_title_of_an_open_study_stays_editable(api, draft_study):
    add_text_samples(draft_study)
    api.post("/api/studies/poems/open/")

    response = api.patch("/api/studies/poems/", {"title": "Poems, renamed"}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "Poems, renamed"


def test_the_limits_and_codes_of_an_open_study_stay_editable(api, draft_study):
    """A researcher whose open study is being filled by a script tightens its limits."""
    add_text_samples(draft_study)
    api.post("/api/studies/poems/open/")
    change = {
        "starts_per_address_hour": 2,
        "leases_per_address": 1,
        "first_lease_minutes": 3,
        "partial_code": "PART-1",
        "min_items_for_code": 4,
        "min_median_seconds": 3.5,
        "screen_out_speeders": True,
    }

    response = api.patch("/api/studies/poems/", change, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert {key: body[key] for key in change} == change
    assert body["starts_refused"] == 0
    refused = api.patch("/api/studies/poems/", {"starts_refused": 0, "title": "T"}, format="json")
    assert refused.status_code == 200 and refused.json()["starts_refused"] == 0


@pytest.mark.django_db
def test_opening_freezes_the_design_and_closing_ends_it(api, draft_study):
    add_text_samples(draft_study)

    opened = api.post("/api/studies/poems/open/")
    assert opened.status_code == 200
    assert opened.json()["status"] == "open" and len(opened.json()["frozen_sha256"]) == 64

    closed = api.post("/api/studies/poems/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


@pytest.mark.django_db
def test_opening_a_study_without_samples_is_400_on_samples(api, draft_study):
    response = api.post("/api/studies/poems/open/")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["samples"]


@pytest.mark.django_db
def test_opening_twice_or_closing_a_draft_is_409(api, draft_study):
    assert api.post("/api/studies/poems/close/").status_code == 409
    add_text_samples(draft_study)
    api.post("/api/studies/poems/open/")

    response = api.post("/api/studies/poems/open/")

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.django_db
def test_opening_without_a_token_is_401(anonymous, draft_study):
    assert anonymous.post("/api/studies/poems/open/").status_code == 401


@pytest.mark.django_db
def test_session_authentication_works_for_a_logged_in_researcher(researcher, draft_study):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(researcher)
    assert client.get("/api/studies/poems/").status_code == 200


@pytest.mark.django_db
def test_a_study_is_switched_to_pairwise_and_the_protocol_freezes_at_open(api, draft_study):
    assert api.get("/api/studies/poems/").json()["protocol"] == "rating"
    change = {
        "protocol": "pairwise",
        "allow_ties": True,
        "ask_strength": True,
        "allow_same_group_pairs": False,
    }
    response = api.patch("/api/studies/poems/", change, format="json")
    assert response.status_code == 200, response.json()
    assert {key: response.json()[key] for key in change} == change
    unknown = api.patch("/api/studies/poems/", {"protocol": "ranking"}, format="json")
    assert unknown.status_code == 400 and list(error_of(unknown)["fields"]) == ["protocol"]
    add_text_samples(draft_study)
    assert api.post("/api/studies/poems/open/").status_code == 200
    for field, value in [("protocol", "rating"), ("allow_ties", False)]:
        refused = api.patch("/api/studies/poems/", {field: value}, format="json")
        assert refused.status_code == 409 and field in error_of(refused)["message"]
    draft_study.refresh_from_db()
    assert (draft_study.protocol, draft_study.allow_ties) == ("pairwise", True)
