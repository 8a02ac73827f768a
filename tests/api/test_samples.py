"""/api/studies/<slug>/samples/: list, and add one, many or a media file, all or nothing."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from studies.models import Sample
from tests.api.conftest import error_of
from tests.conftest import add_text_samples

URL = "/api/studies/poems/samples/"


def png_with_exif() -> bytes:
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", exif=exif)
    return buffer.getvalue()


@pytest.mark.django_db
def test_one_sample_is_added_from_a_json_object(api, draft_study):
    response = api.post(
        URL,
        {
            "group": "human",
            "text": "The keeper wound the clock.",
            "brief": "lighthouse",
            "id": "h-1",
            "meta": {"author": "Ann"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "created": 1,
        "by_group": {"human": 1},
        "briefs_created": ["lighthouse"],
        "warnings": [
            "brief 'lighthouse' is used by group 'human' only, so what raters see "
            "of it marks that group's samples; give every group samples of it"
        ],
    }
    sample = Sample.objects.get(study=draft_study)
    assert (sample.external_id, sample.group.key, sample.brief.key) == (
        "h-1",
        "human",
        "lighthouse",
    )
    assert sample.metadata == {"author": "Ann"} and sample.kind == "text"


@pytest.mark.django_db
def test_a_list_of_samples_with_an_attention_check_is_added(api, draft_study):
    items = [
        {"group": "human", "text": "One."},
        {"group": "ai", "text": "Two."},
        {"group": "human", "text": "Score this 1.", "attention": True, "expected": "1-2"},
    ]
    response = api.post(URL, items, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 3
    check = Sample.objects.get(study=draft_study, is_attention_check=True)
    assert (check.expected_min, check.expected_max) == (1, 2)


@pytest.mark.django_db
def test_a_mixed_upload_with_one_bad_sample_stores_none(api, draft_study):
    items = [
        {"group": "human", "text": "Fine."},
        {"group": "robot", "text": "Unknown group."},
        {"group": "ai", "text": "Also fine."},
        {"group": "ai", "attention": True},
    ]
    response = api.post(URL, items, format="json")

    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert "unknown group 'robot'" in fields["[1].group"][0]
    assert set(fields) == {"[1].group", "[3].text", "[3].expected"}
    assert not Sample.objects.filter(study=draft_study).exists()


@pytest.mark.django_db
def test_a_single_bad_sample_names_its_field_without_a_position(api, draft_study):
    response = api.post(URL, {"group": "human", "text": "x", "expected": "9-1"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["expected"]


@pytest.mark.django_db
def test_unknown_fields_and_wrong_shapes_are_refused_before_the_import(api, draft_study):
    response = api.post(
        URL, [{"group": "human", "text": "x", "colour": "red"}, "text", {"meta": 3}], format="json"
    )

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"[0].colour", "[1]", "[2].meta"}


@pytest.mark.django_db
def test_an_empty_list_or_a_scalar_body_is_400(api, draft_study):
    for body in ([], 3, "text"):
        response = api.post(URL, body, format="json")
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == ["non_field_errors"]


@pytest.mark.django_db
def test_a_duplicate_id_already_in_the_study_is_named(api, draft_study):
    api.post(URL, {"group": "human", "text": "x", "id": "h-1"}, format="json")
    response = api.post(URL, [{"group": "ai", "text": "y", "id": "h-1"}], format="json")

    assert response.status_code == 400
    assert "duplicate id 'h-1'" in error_of(response)["fields"]["[0].id"][0]


@pytest.mark.django_db
def test_error_paths_come_from_the_importers_problems_not_from_their_wording(
    api, draft_study, monkeypatch
):
    monkeypatch.setattr("studies.importing.DUPLICATE_IN_STUDY", "Reworded: {id} exists: x, y")
    api.post(URL, {"group": "human", "text": "x", "id": "h-1"}, format="json")
    items = [{"group": "ai", "text": "y"}, {"group": "ai", "text": "z", "id": "h-1"}]
    response = api.post(URL, items, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"[1].id": ["Reworded: h-1 exists: x, y"]}


@pytest.mark.django_db
def test_a_media_sample_is_uploaded_as_multipart_and_cleaned(api, draft_study):
    upload = io.BytesIO(png_with_exif())
    upload.name = "from-my-camera.png"
    response = api.post(
        URL,
        {
            "group": "ai",
            "brief": "portrait",
            "id": "a-img",
            "file": upload,
            "meta": json.dumps({"model": "x-1"}),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    sample = Sample.objects.get(study=draft_study)
    assert (sample.kind, sample.media_type, sample.metadata) == (
        "image",
        "image/png",
        {"model": "x-1"},
    )
    stored = sample.media.read()
    assert b"SecretCameraMaker" not in stored
    assert "from-my-camera" not in sample.media.name


@pytest.mark.django_db
def test_a_file_that_is_not_media_is_refused_on_file(api, draft_study):
    upload = io.BytesIO(b"#!/bin/sh\necho not an image\n")
    upload.name = "x.png"
    response = api.post(URL, {"group": "ai", "file": upload}, format="multipart")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["file"]
    assert not Sample.objects.exists()


@pytest.mark.django_db
def test_a_multipart_form_without_a_file_is_400_on_file(api, draft_study):
    response = api.post(URL, {"group": "ai", "meta": "{not json"}, format="multipart")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"file", "meta"}


@pytest.mark.django_db
def test_samples_cannot_be_added_once_the_study_is_open(api, draft_study):
    add_text_samples(draft_study)
    api.post("/api/studies/poems/open/")

    response = api.post(URL, {"group": "human", "text": "Late."}, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "design_frozen"


@pytest.mark.django_db
def test_another_researchers_samples_are_404_and_no_token_is_401(other_api, anonymous, draft_study):
    assert other_api.get(URL).status_code == 404
    assert other_api.post(URL, {"group": "human", "text": "x"}, format="json").status_code == 404
    assert anonymous.get(URL).status_code == 401
    assert not Sample.objects.exists()


@pytest.mark.django_db
def test_the_sample_list_shows_samples_and_filters_by_group(api, draft_study):
    add_text_samples(draft_study, per_group=2)

    body = api.get(URL).json()
    assert body["count"] == 6
    first = body["results"][0]
    assert {"token", "id", "group", "brief", "kind", "text", "meta", "attention"} <= set(first)
    assert api.get(URL + "?group=ai").json()["count"] == 2
    assert api.get(URL + "?group=ai&brief=b0").json()["count"] == 1


def _queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_sample_list_takes_the_same_number_of_queries_for_few_samples_or_many(api, draft_study):
    add_text_samples(draft_study, per_group=1)
    few = _queries(api)
    add_text_samples(draft_study, per_group=10)
    assert _queries(api) == few
