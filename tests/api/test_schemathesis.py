"""Schemathesis against a live server and its own /api/schema/: generated requests to
every operation, valid and invalid, with a researcher's token. No answer may be a server
error, and every answer must conform to the schema: a documented status code, content type,
headers and body. Bounded (examples per operation, fixed seed) to finish in about a minute.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.api.live import live_server

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
        "ignored_auth",
    ]
)
MAX_EXAMPLES = os.environ.get("BLINDRATE_SCHEMATHESIS_EXAMPLES", "25")
SEED = os.environ.get("BLINDRATE_SCHEMATHESIS_SEED", "20261128")


def operations(server) -> int:
    """How many operations the live server's OpenAPI document has: every one is tested."""
    request = urllib.request.Request(
        f"{server['url']}/api/schema/?format=json",
        headers={"Authorization": f"Token {server['token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        paths = json.load(answer)["paths"]
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return sum(1 for item in paths.values() for method in item if method in methods)


@pytest.fixture
def server(tmp_path):
    # Schemathesis sends thousands of requests: no throttling in the way.
    with live_server(
        tmp_path / "var", API_THROTTLE_ANON="1000000/minute", API_THROTTLE_TOKEN="1000000/minute"
    ) as live:
        yield live


def test_every_operation_answers_generated_requests_without_server_errors_and_as_documented(
    server, tmp_path
):
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{server['url']}/api/schema/",
        "--header",
        f"Authorization: Token {server['token']}",
        "--checks",
        CHECKS,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        # One worker: CPython 3.11's ast.parse, which Hypothesis calls, is not thread-safe.
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--max-failures",
        "20",
    ]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false", "NO_COLOR": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-15000:]
    assert f"Tested: {operations(server)}" in report, report[-3000:]
    log = server["log"].read_text(errors="replace")
    assert "Internal Server Error" not in log and "Traceback" not in log, log[-5000:]
