"""Bad input is a 400 in the one error shape, never a 5xx: malformed JSON, wrong types,
huge numbers, NaN, unicode oddities, deep nesting, oversized bodies."""

import pytest

from studies.models import Study
from tests.api.conftest import error_of

STUDY = '{"slug": "s", "title": "T", "groups": [{"key": "human"}]%s}'


def post_raw(api, body: str | bytes, url: str = "/api/studies/"):
    return api.generic("POST", url, body, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{", "parse_error"),
        ('{"slug": "s",}', "parse_error"),
        (b'{"slug": "\xff\xfe"}', "parse_error"),
        ('{"slug": "s", "title": NaN}', "parse_error"),
        ('{"slug": "s", "title": Infinity}', "parse_error"),
        ("[" * 50_000, "parse_error"),
        ('"just a string"', "invalid"),
        ("null", "invalid"),
    ],
)
def test_malformed_json_is_a_400_in_the_error_shape(api, body, code):
    response = post_raw(api, body)

    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert not Study.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (', "scale_max": 1e400', "scale_max"),
        (', "scale_max": 1' + "0" * 400, "scale_max"),
        (', "ratings_per_sample": 99999999999999999999', "ratings_per_sample"),
        (', "ratings_per_sample": true', "ratings_per_sample"),
        (', "alpha": "nan"', "alpha"),
        (', "scale_step": 2.2250738585e-313', "scale_step"),
        (', "alpha": 1e-300', "alpha"),
        (', "alpha": "-inf"', "alpha"),
        (', "criteria": "quality"', "criteria"),
        (', "scale_anchors": [1, 2]', "scale_anchors"),
        (', "groups": {"key": "human"}', "groups"),
        (', "claims": [{"group": "human", "value": "high"}]', "claims[0].value"),
        (', "title": "a\\u0000b"', "title"),
        (', "title": "\\ud800"', "title"),
        (', "instructions": {"\\udfff": 1}', "instructions"),
        (', "lease_minutes": ' + "[" * 40 + "1" + "]" * 40, "lease_minutes" + "[0]" * 32),
    ],
)
def test_wrong_types_huge_numbers_and_odd_unicode_are_400_naming_the_field(api, extra, field):
    response = post_raw(api, STUDY % extra)

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not Study.objects.exists()


@pytest.mark.django_db
def test_unusual_but_valid_unicode_is_stored_as_given(api):
    title = "Gedichte \u2014 \u00e9t\u00e9 \U0001f3ad \u202e\u2028 \u0627\u0644\u0634\u0639\u0631"
    body = {"slug": "s", "title": title, "groups": [{"key": "human", "label": "\u4eba"}]}
    response = api.post("/api/studies/", body, format="json")

    assert response.status_code == 201, response.json()
    assert Study.objects.get(slug="s").title == title


@pytest.mark.django_db
def test_samples_with_nul_or_lone_surrogates_are_refused_by_position(api, draft_study):
    body = '[{"group": "human", "text": "ok"}, {"group": "ai", "text": "bad\\u0000"}]'
    response = post_raw(api, body, "/api/studies/poems/samples/")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["[1].text"]


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post_raw(api, STUDY % (', "instructions": "%s"' % ("x" * 200)))

    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


@pytest.mark.django_db
def test_an_unsupported_media_type_is_415(api):
    response = api.generic("POST", "/api/studies/", "slug=s", content_type="text/plain")

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_a_method_the_endpoint_has_not_is_405(api, draft_study):
    response = api.delete("/api/studies/poems/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_odd_query_parameters_are_400_or_ignored_never_500(api, draft_study):
    for query in (
        "?page=0",
        "?page=999999999999999999999",
        "?page_size=-5",
        "?status=%00",
        "?page=abc",
        "?format=xml",
    ):
        response = api.get("/api/studies/" + query)
        assert response.status_code in (200, 400, 404), (query, response.status_code)
        if response.status_code != 200:
            error_of(response)
    response = api.get("/api/analyses/99999999999999999999999/")
    assert response.status_code == 404
    response = api.get("/api/studies/poems/ratings/?participant=%00&format=csv")
    assert response.status_code == 400


@pytest.mark.django_db
def test_too_many_requests_are_429_with_retry_after(api, monkeypatch):
    from api.throttles import TokenRateThrottle

    rates = {**TokenRateThrottle.THROTTLE_RATES, "token": "2/minute"}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)

    statuses = [api.get("/api/studies/").status_code for _ in range(3)]
    response = api.get("/api/studies/")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert error_of(response)["code"] == "throttled"


def test_an_unreadable_throttle_rate_stops_the_start_naming_the_variable(settings):
    from django.apps import apps

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "lots", "token": "10/minute"},
    }
    with pytest.raises(SystemExit, match="API_THROTTLE_ANON: expected a rate like 60/minute"):
        apps.get_app_config("api").ready()


@pytest.mark.django_db
def test_unknown_paths_under_the_api_are_a_json_404(api):
    for path in (
        "/api/nothing/",
        "/api/studies/%0A/samples/",
        "/api/studies/a%20b/open/",
        "/api/analyses/x/",
    ):
        response = api.post(path, {}, format="json")
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
