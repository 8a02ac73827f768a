"""The Python example of the README's API section, run as printed against
the platform as `make run` starts it: web server and worker, embedded default, demo."""

import os
import re
import subprocess
import sys

import pytest

from tests.processes import ROOT, demo_platform, manage

DOCS = ROOT / "README.md"


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, "the README has one Python example"
    return blocks[0]


@pytest.fixture
def platform(tmp_path):
    with demo_platform(tmp_path / "var") as running:
        created = manage(running["env"], "drf_create_token", "researcher")
        token = re.search(r"Generated token (\w+)", created)
        yield {"url": running["url"], "token": token.group(1)}


def test_the_python_example_of_the_api_docs_runs_as_printed(platform, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(python_example(), encoding="utf-8")
    env = {**os.environ, "BLINDRATE_URL": platform["url"], "BLINDRATE_TOKEN": platform["token"]}

    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "samples: {'collaboration': 2, 'human': 3, 'ai': 2}" in out
    assert re.search(r"pre-registration SHA-256 [0-9a-f]{64}", out)
    assert "-> None a group of this claim has no ratings" in out
    verdicts = re.findall(r": (supported|contradicted|inconclusive)$", out, re.MULTILINE)
    assert len(verdicts) == 5, out
    assert "collaboration - human: claimed 2" in out
    assert "/api/analyses/" in out and ".png" in out
