"""A clone stands on its own: the suite collects and its reference values load from a
copy of the repository in an empty folder, with no other folder beside it."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.checkout import checkout_copy


def users_of_reference_data(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in (root / "tests").rglob("test_*.py")
        if re.search(r"^from tests\.reference import", path.read_text(encoding="utf-8"), re.M)
    )


def test_the_suite_runs_from_a_copy_with_nothing_beside_it(tmp_path):
    clone = checkout_copy(tmp_path / "blindrate")
    assert not (tmp_path / "shared").exists()
    users = users_of_reference_data(clone)
    assert len(users) >= 9, users  # every statistics module that checks published values

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(BLINDRATE_GUARD_SIBLINGS="1", PYTHONDONTWRITEBYTECODE="1")

    def pytest_in_clone(*args: str) -> subprocess.CompletedProcess:
        # `python -m pytest` puts the clone first on sys.path, ahead of the editable
        # install of the original checkout.
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    collected = pytest_in_clone("--collect-only")
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert "error" not in collected.stdout.splitlines()[-1], collected.stdout[-3000:]

    ran = pytest_in_clone(*users, "-x", "-W", "ignore")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert " passed" in ran.stdout.splitlines()[-1]
    assert "skipped" not in ran.stdout.splitlines()[-1], ran.stdout[-3000:]
