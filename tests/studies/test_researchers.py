"""`manage.py researcher`: a usable password for a new researcher, printed once; an existing
one kept unless --reset; only the demo researcher's login goes to the login file."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

LOGIN = re.compile(r"^Researcher login: (\S+) / (\S+)$")


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def researcher(*args: str) -> str:
    out = StringIO()
    call_command("researcher", *args, stdout=out)
    return out.getvalue().strip()


def logs_in(client, username: str, password: str) -> bool:
    """The admin's login form accepts them (a real login, through the lockout backend)."""
    response = client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    logged_in = response.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    return logged_in


def test_a_new_researcher_gets_a_usable_password_at_once(db, client, var_dir):
    printed = LOGIN.match(researcher("maria"))
    assert printed, "the first run prints a password"
    assert printed.group(1) == "maria"
    assert logs_in(client, "maria", printed.group(2))
    user = get_user_model().objects.get(username="maria")
    assert user.is_staff and user.groups.filter(name="Researchers").exists()
    assert not (var_dir / "researcher-login.txt").exists(), "only the demo's login is kept"


def test_an_existing_researcher_keeps_their_password_unless_reset(db, client, var_dir):
    first = LOGIN.match(researcher("maria")).group(2)
    again = researcher("maria")
    assert "password unchanged" in again and "--reset" in again
    assert first not in again
    assert logs_in(client, "maria", first)

    reset = LOGIN.match(researcher("maria", "--reset")).group(2)
    assert reset != first
    assert logs_in(client, "maria", reset)
    assert not logs_in(client, "maria", first)


def test_the_demo_researchers_login_is_kept_and_shown_again(db, client, var_dir):
    """`make run` runs `researcher` on every start and prints the same login each time;
    a login made for anyone else never overwrites it."""
    login_file = var_dir / "researcher-login.txt"
    username, password = LOGIN.match(researcher()).groups()
    assert username == "researcher"
    assert login_file.read_text().split() == [username, password]
    assert login_file.stat().st_mode & 0o777 == 0o600

    assert LOGIN.match(researcher()).groups() == (username, password)
    researcher("maria")
    researcher("maria", "--reset")
    assert login_file.read_text().split() == [username, password]
    assert logs_in(client, username, password)


def test_a_demo_owner_made_by_the_demo_gets_a_password_on_first_run(db, client, var_dir):
    """`manage.py demo` makes the owner with no password; `researcher` then gives one."""
    from studies.researchers import researcher_ensure

    user, created = researcher_ensure(username="researcher")
    assert created and not user.has_usable_password()
    username, password = LOGIN.match(researcher()).groups()
    assert logs_in(client, username, password)


def test_a_stale_login_file_is_not_shown(db, var_dir):
    """After a password change elsewhere, the kept login is wrong: say so, not print it."""
    username, password = LOGIN.match(researcher()).groups()
    user = get_user_model().objects.get(username=username)
    user.set_password("changed-in-the-admin-42")
    user.save()
    again = researcher()
    assert "password unchanged" in again and password not in again
