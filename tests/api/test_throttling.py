"""Every API request counts against a limit: anonymous and failed ones by the client's
real address (never a header the client makes up), authenticated ones by token."""

import pytest
from rest_framework.test import APIClient

from api.throttles import AnonRateThrottle
from tests.api.conftest import error_of


@pytest.fixture
def anon_limit(monkeypatch):
    rates = {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/minute"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)


def rotating_forwarded_for(i: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"}


@pytest.mark.django_db
def test_requests_without_a_token_are_limited_whatever_x_forwarded_for_says(anon_limit):
    client = APIClient()
    seen = [client.get("/api/studies/", **rotating_forwarded_for(i)) for i in range(6)]
    assert [r.status_code for r in seen] == [401, 401, 401, 429, 429, 429]
    assert error_of(seen[-1])["code"] == "throttled" and int(seen[-1]["Retry-After"]) > 0


@pytest.mark.django_db
def test_requests_with_a_wrong_token_are_limited(anon_limit):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    seen = [client.get("/api/studies/").status_code for _ in range(5)]
    assert seen == [401, 401, 401, 429, 429]


@pytest.mark.django_db
def test_unknown_api_urls_count_too(anon_limit):
    client = APIClient()
    seen = [client.get(f"/api/nothing-{i}/").status_code for i in range(5)]
    assert seen == [404, 404, 404, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_address_counts_alone(anon_limit, settings):
    """NUM_PROXIES=1: the address the proxy saw (the last X-Forwarded-For entry)."""
    settings.NUM_PROXIES = 1
    client = APIClient()
    spoofed_then_real = [
        client.get("/api/studies/", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.{i % 2}")
        for i in range(8)
    ]
    # Two real clients (198.51.100.0 and .1), four requests each, whatever they prepend.
    assert [r.status_code for r in spoofed_then_real] == [401] * 6 + [429] * 2


@pytest.mark.django_db
def test_a_valid_token_is_counted_by_token_not_by_address(api, anon_limit):
    assert [api.get("/api/studies/").status_code for _ in range(5)] == [200] * 5
