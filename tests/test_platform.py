"""The platform as `make run` starts it: web server and Celery worker on the embedded default
(SQLite, filesystem broker), the demo loaded, a researcher login printed, Ctrl-C stops all."""

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest

from tests.processes import demo_platform, manage


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
    form = urlencode({"username": match.group(1), "password": match.group(2),
                      "csrfmiddlewaretoken": csrf, "next": "/admin/studies/study/"})  # fmt: skip
    request = urllib.request.Request(f"{base}/admin/login/", data=form.encode(),
                                     headers={"Referer": f"{base}/admin/login/"})  # fmt: skip
    studies = opener.open(request).read().decode()
    assert "seed-claim-simulated" in studies
    answer = manage(platform["env"], "check_worker", "--timeout", "60")
    assert "worker answered: pong" in answer


def test_ctrl_c_stops_the_web_server_and_the_worker_together(platform):
    process = platform["process"]
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=40)
    deadline = time.monotonic() + 20
    while True:  # the worker's own children (its pool, the embedded beat) end with it
        alive = subprocess.run(["pgrep", "-a", "-g", str(process.pid)], capture_output=True,
                               text=True)  # fmt: skip
        if not alive.stdout.strip() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert alive.stdout.strip() == "", f"a child of the launcher outlived Ctrl-C: {alive.stdout}"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{platform['port']}/admin/login/", timeout=2)
