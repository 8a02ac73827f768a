"""A copy of this checkout in another folder, as a person who clones the repository has it:
the files git tracks (and new ones it does not ignore), none of the local state."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_STATE = {
    ".git",
    ".venv",
    "var",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "test-artifacts",
    "build",
    ".env",
    ".env.local",
}


def repository_files() -> list[Path]:
    """The files a clone has: tracked and new ones that git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    files = [ROOT / os.fsdecode(name) for name in listed.split(b"\0") if name]
    return [path for path in files if path.is_file()]


def checkout_copy(target: Path) -> Path:
    """Copy the repository's files into `target` (made here) and return it."""
    for path in repository_files():
        relative = path.relative_to(ROOT)
        if LOCAL_STATE.intersection(relative.parts):
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)
    return target
