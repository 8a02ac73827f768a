"""Shared fixtures. The suite runs on SQLite and the filesystem broker by default, and on
PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (as in CI)."""

import os
import sys
from pathlib import Path

import pytest
from django.conf import settings

from studies import services
from studies.researchers import researcher_ensure

SEED_GROUPS = [
    {"key": "human", "label": "Human only", "claimed_mean": 6.5},
    {"key": "ai", "label": "AI only", "claimed_mean": 4.5},
    {"key": "collaboration", "label": "Human-AI collaboration", "claimed_mean": 8.5},
]


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL's own (row locks, concurrent transactions); CI runs it",
)


ROOT = Path(__file__).resolve().parent.parent


def _outside_reads_guard(forbidden: Path):
    """An audit hook that refuses to open or list anything under `forbidden`: the suite
    must run from a clone alone, so no test may read beside the repository (its
    reference values live in tests/reference_data/)."""
    prefix = str(forbidden) + os.sep

    def guard(event: str, args: tuple) -> None:
        if event not in {"open", "os.listdir", "os.scandir"} or not args:
            return
        path = args[0]
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return
        full = os.path.abspath(path)
        inside = full == str(ROOT) or full.startswith(str(ROOT) + os.sep)
        if full.startswith(prefix) and not inside:
            raise PermissionError(f"a test read {full}, outside the repository {ROOT}")

    return guard


# By default the `shared` folder a checkout may find beside it is off limits; the
# stand-alone test (tests/test_standalone.py) forbids every sibling of its copy.
sys.addaudithook(
    _outside_reads_guard(
        ROOT.parent if os.environ.get("BLINDRATE_GUARD_SIBLINGS") == "1" else ROOT.parent / "shared"
    )
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With BLINDRATE_NO_SKIPS=1 (set by .ci/run) a skipped test fails: CI runs everything."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("BLINDRATE_NO_SKIPS") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def researcher(db):
    user, _ = researcher_ensure(username="ada")
    user.set_password("pw-ada-123456")
    user.save()
    return user


@pytest.fixture
def other_researcher(db):
    user, _ = researcher_ensure(username="grace")
    return user


@pytest.fixture
def draft_study(researcher):
    """A draft study with the seed article's three groups and claimed means."""
    return services.study_create(
        owner=researcher,
        slug="poems",
        title="Poems",
        groups=SEED_GROUPS,
        claims=[
            {"kind": "difference", "group": "collaboration", "other_group": "human", "value": 2}
        ],
    )


def add_text_samples(study, per_group: int = 2) -> None:
    """Import `per_group` text samples into every group through the real importer."""
    from studies.importing import samples_import

    lines = ["group,text,brief"]
    for group in study.groups.all():
        for index in range(per_group):
            lines.append(f"{group.key},A short poem number {index} of {group.key}.,b{index}")
    samples_import(study=study, file_name="s.csv", data="\n".join(lines).encode())
