"""Every command line the README prints works as printed, in a checkout where `make run`
set things up, with nothing exported: no DEBUG, SECRET_KEY or DATABASE_URL.

The command lines are read out of README.md (fenced `sh` blocks and inline code that
starts with `.venv/bin/python manage.py` or sets BLINDRATE_TOKEN), and `make run`'s own
set-up steps out of the Makefile, so neither can drift from this test. They run in a copy
of the checkout (tests/checkout.py) sharing this one's virtual environment, after the
Makefile's own rule wrote the copy's `.env.local`."""

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.checkout import ROOT, checkout_copy

RUNNABLE = re.compile(r"^(\.venv/bin/python manage\.py |export BLINDRATE_TOKEN=)")
EXPORT_HEADER = (
    "rating,study,participant,sample,brief,group,criterion,score,guess,seconds,created_at"
)
COMPARISONS_HEADER = (
    "comparison,study,participant,brief,sample_a,sample_b,group_a,group_b,criterion,choice,"
    "strength,seconds,created_at"
)
VERDICTS = ("supported", "contradicted", "inconclusive")
# Variables a shell might carry (the suite sets some itself); the README promises that
# none is needed.
UNSET = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "BLINDRATE_LOCAL_ENV",
    "BLINDRATE_GUARD_SIBLINGS",
    "VAR_DIR",
    "MEDIA_ROOT",
    "CELERY_BROKER_DIR",
    "STATIC_ROOT",
    "BLINDRATE_TOKEN",
}


def readme_command_lines(text: str) -> list[str]:
    """The runnable command lines of the README, in the order they appear, each once."""
    found = []  # (position, line)
    for block in re.finditer(r"```sh\n(.*?)```", text, re.S):
        offset = block.start(1)
        for line in block.group(1).splitlines(keepends=True):
            found.append((offset, line.strip()))
            offset += len(line)
    # Inline code outside fenced blocks, which are blanked out to keep the positions.
    prose = re.sub(r"```.*?```", lambda m: " " * len(m.group()), text, flags=re.S)
    for span in re.finditer(r"`([^`]+)`", prose):
        found.append((span.start(), " ".join(span.group(1).split())))
    lines = []
    for _, line in sorted(found):
        if RUNNABLE.match(line) and line not in lines:
            lines.append(line)
    return lines


def make_run_steps(makefile: str) -> list[str]:
    """The manage.py commands of the Makefile's `run` recipe, in order."""
    recipe = re.search(r"^run:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    return [
        f".venv/bin/python manage.py {args.strip()}"
        for args in re.findall(r"\$\(BIN\)/python manage\.py ([^;\\\n]+)", recipe)
    ]


def test_the_readme_lists_the_commands_a_newcomer_runs():
    lines = readme_command_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = {re.search(r"manage\.py (\w+)", line).group(1) for line in lines}
    assert {
        "researcher",
        "import_samples",
        "export_ratings",
        "analyze_csv",
        "drf_create_token",
    } <= commands, lines
    assert make_run_steps((ROOT / "Makefile").read_text()) == [
        ".venv/bin/python manage.py migrate --noinput",
        ".venv/bin/python manage.py demo",
        ".venv/bin/python manage.py researcher",
    ]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of the checkout after `make install`'s local settings and `make run`'s set-up."""
    clone = checkout_copy(tmp_path_factory.mktemp("clone") / "blindrate")
    (clone / ".venv").symlink_to(ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    made = subprocess.run(
        ["make", ".env.local"], cwd=clone, env=env, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "DEBUG=true" in (clone / ".env.local").read_text()
    for step in make_run_steps((clone / "Makefile").read_text()):
        shell(clone, env, step, timeout=600)
    return clone, env


def shell(clone: Path, env: dict, line: str, *, timeout: float = 300) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", line],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "configuration error" not in result.stderr
    return result.stdout


def test_every_readme_command_works_as_printed(checkout):
    clone, env = checkout
    lines = readme_command_lines((clone / "README.md").read_text(encoding="utf-8"))
    checked = set()
    for line in lines:
        command = re.search(r"manage\.py (\w+)", line).group(1)
        if line.startswith("export BLINDRATE_TOKEN="):
            token = shell(clone, env, f'{line}\nprintf %s "$BLINDRATE_TOKEN"').strip()
            assert re.fullmatch(r"[0-9a-f]{40}", token), f"empty or odd token {token!r}"
        elif command == "researcher":
            out = shell(clone, env, line)
            name = line.split()[-1]
            assert re.search(rf"^Researcher login: {name} / \S{{12,}}$", out, re.M), out
        elif command == "import_samples":
            out = shell(clone, env, line)
            imported = int(re.search(r"Imported (\d+) samples", out).group(1))
            slug = line.split()[3]
            with sqlite3.connect(clone / "var" / "blindrate.sqlite3") as db:
                (stored,) = db.execute(
                    "SELECT COUNT(*) FROM studies_sample s JOIN studies_study t"
                    " ON t.id = s.study_id WHERE t.slug = ?",
                    [slug],
                ).fetchone()
            assert stored == imported > 0
        elif command == "export_ratings":
            out = shell(clone, env, line)
            output = re.search(r"--output (\S+)", line)
            text = (clone / output.group(1)).read_text() if output else out
            rows = text.splitlines()
            header = COMPARISONS_HEADER if "pairwise" in line else EXPORT_HEADER
            assert rows[0] == header and len(rows) > 100
        elif command == "analyze_csv":
            out = shell(clone, env, line)
            assert any(verdict in out for verdict in VERDICTS), out
            if "analyze_csv comparisons.csv" in line:  # the demo's pairwise twin, as quoted
                assert "collaboration preferred to human: inconclusive" in out, out
                assert "win probability 0.59, 95% CI 0.47 to 0.71" in out, out
                assert "human preferred to ai: supported" in out, out
        elif command == "plan":
            out = shell(clone, env, line)
            # The numbers the README quotes for the seed claims in the demo's design.
            assert "supported 50%, contradicted 5%, inconclusive 45%; 95% CI +- 0.43" in out
            assert "supported 19%, contradicted 5%, inconclusive 76%; 95% CI +- 0.53" in out
            assert "(at most 27% with unlimited raters)" in out
            assert "101 samples per group rated 2 times each (38 raters" in out
        elif command == "drf_create_token":
            out = shell(clone, env, line)
            assert re.search(r"Generated token [0-9a-f]{40} for user", out), out
        elif command == "shell":
            shell(clone, env, line)
        else:
            raise AssertionError(f"the README runs `{command}`: say here what it must print")
        checked.add(command)
    assert {
        "researcher",
        "import_samples",
        "export_ratings",
        "analyze_csv",
        "drf_create_token",
    } <= checked
