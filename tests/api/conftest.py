"""Clients of the API: a researcher's token, another researcher's, and none."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fresh_throttles(monkeypatch):
    """Every test counts its requests from zero, in a cache of its own (never the shared
    Redis cache of a CI run, which is also the broker's database)."""
    store = LocMemCache("api-tests", {})
    store.clear()
    monkeypatch.setattr(throttling.SimpleRateThrottle, "cache", store)


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(researcher) -> APIClient:
    return client_for(researcher)


@pytest.fixture
def other_api(other_researcher) -> APIClient:
    return client_for(other_researcher)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def error_of(response) -> dict:
    """The error object of an error response, after checking the one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert error["message"]
    return error
