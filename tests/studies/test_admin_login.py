"""The admin login is throttled (django-axes): wrong passwords lock out the address and the
username for a while, with a page saying so, even for the right password."""

import pytest
from django.test import Client
from django.urls import reverse

LOGIN = reverse("admin:login")


def attempt(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3


@pytest.mark.django_db
def test_wrong_passwords_lock_the_address_out_even_for_the_right_one(researcher, limits):
    client = Client()
    answers = [attempt(client, "ada", f"wrong-{i}").status_code for i in range(3)]
    assert answers[:2] == [200, 200]  # the login form again, with its error
    assert answers[2] == 429
    locked = attempt(client, "ada", "pw-ada-123456")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_username_is_locked_from_every_address(researcher, limits):
    for i in range(3):
        attempt(Client(), "ada", f"wrong-{i}", address=f"198.51.100.{i}")
    elsewhere = attempt(Client(), "ada", "pw-ada-123456", address="203.0.113.99")
    assert elsewhere.status_code == 429


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_unlock_the_address(researcher, limits):
    client = Client()
    for i in range(3):
        client.post(
            LOGIN,
            {"username": f"nobody-{i}", "password": "x"},
            REMOTE_ADDR="192.0.2.10",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    again = client.post(
        LOGIN,
        {"username": "ada", "password": "pw-ada-123456"},
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="10.0.0.77",
    )
    assert again.status_code == 429


@pytest.mark.django_db
def test_a_right_password_before_the_limit_logs_in_and_resets_the_count(researcher, limits):
    client = Client()
    attempt(client, "ada", "wrong-1")
    attempt(client, "ada", "wrong-2")
    ok = attempt(client, "ada", "pw-ada-123456")
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(researcher.pk)
    client.logout()
    assert [attempt(client, "ada", f"again-{i}").status_code for i in range(2)] == [200, 200]
