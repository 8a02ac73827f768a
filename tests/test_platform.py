"""The platform as `make run` starts it: web server and Celery worker on the embedded default
(SQLite, filesystem broker), the demo loaded, a researcher login printed, Ctrl-C stops all."""

import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest

from tests.processes import demo_platform, manage, wait_until


@pytest.fixture
def platform(tmp_path):
    with demo_platform(tmp_path / "var") as running:
        yield running


def test_the_platform_serves_the_admin_and_the_rater_page_and_runs_a_worker(platform):
    base = f"http://127.0.0.1:{platform['port']}"
    with urllib.request.urlopen(f"{base}/s/seed-claim/") as page:
        assert page.status == 200
        assert "Does collaboration write better?" in page.read().decode()
    match = re.search(r"Researcher login: (\S+) / (\S+)", platform["login"])
    assert match, platform["login"]
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/admin/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urlencode(
        {
            "username": match.group(1),
            "password": match.group(2),
            "csrfmiddlewaretoken": csrf,
            "next": "/admin/studies/study/",
        }
    )
    request = urllib.request.Request(
        f"{base}/admin/login/", data=form.encode(), headers={"Referer": f"{base}/admin/login/"}
    )
    studies = opener.open(request).read().decode()
    assert "seed-claim-simulated" in studies
    answer = manage(platform["env"], "check_worker", "--timeout", "60")
    assert "worker answered: pong" in answer


def test_ctrl_c_stops_the_web_server_and_the_worker_together(platform):
    process = platform["process"]
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=40)

    def launched() -> str:  # the worker's own children (its pool, the embedded beat) too
        found = subprocess.run(
            ["pgrep", "-a", "-g", str(process.pid)], capture_output=True, text=True
        )
        return found.stdout.strip()

    wait_until(lambda: not launched(), seconds=20, what="every child of the launcher to end")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{platform['port']}/admin/login/", timeout=2)
