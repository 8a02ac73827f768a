"""Text PostgreSQL cannot store (NUL) in any part of a request is a 400, never a 500: a
page on the rater's side, the API's JSON error shape under /api/. On both databases."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from studies import services
from tests.conftest import add_text_samples


@pytest.fixture
def open_study(draft_study):
    add_text_samples(draft_study)
    return services.study_open(study=draft_study)


RATER_REQUESTS = [
    ("get", "/s/poems/?PROLIFIC_PID=%00&STUDY_ID=s&SESSION_ID=t", {}),
    ("get", "/s/poems/?PROLIFIC_PID=p&STUDY_ID=%00&SESSION_ID=t", {}),
    ("get", "/s/poems/?participant=%00", {}),
    ("get", "/s/poems/?%00=1", {}),
    ("get", "/s/poems/rate/", {"HTTP_COOKIE": "blindrate_rater=ab\x00cd"}),
    ("post", "/s/poems/rate/", {"data": {"item": "\x00", "quality": "5"}}),
    ("post", "/s/poems/", {"data": {"consent": "yes", "participant": "a\x00b"}}),
    ("get", "/s/poems/media/%00/", {}),
    ("get", "/s/poems/done/?x=%00", {}),
]
API_REQUESTS = [
    ("get", "/api/studies/?status=%00", {}),
    ("get", "/api/studies/%00/", {}),
    ("get", "/api/studies/poems/samples/?group=%00", {}),
    ("get", "/api/studies/poems/ratings/?format=csv&group=%00", {}),
    ("get", "/api/studies/poems/analyses/?status=%00", {}),
    ("post", "/api/studies/", {"data": '{"slug": "a\\u0000b", "title": "t"}',
                               "content_type": "application/json"}),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "extra"), RATER_REQUESTS)
def test_a_rater_request_with_a_nul_character_is_a_400_page(open_study, method, url, extra):
    client = Client(raise_request_exception=False)
    client.get("/s/poems/")  # a participant cookie of its own, as a real browser has
    response = getattr(client, method)(url, **extra)
    assert response.status_code == 400, (url, response.status_code)
    assert "cannot be stored" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "extra"), API_REQUESTS)
def test_an_api_request_with_a_nul_character_is_a_json_400(
    open_study, researcher, method, url, extra
):
    token, _ = Token.objects.get_or_create(user=researcher)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")
    response = getattr(client, method)(url, **extra)
    assert response.status_code == 400, (url, response.status_code)
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert error["fields"] and all(
        "NUL" in problem for problems in error["fields"].values() for problem in problems
    )


@pytest.mark.django_db
def test_ordinary_requests_pass_untouched(open_study):
    client = Client(raise_request_exception=False)
    response = client.get("/s/poems/?PROLIFIC_PID=abc&STUDY_ID=s&SESSION_ID=t")
    assert response.status_code == 200
