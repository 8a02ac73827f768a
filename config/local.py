"""The checkout's own development settings: `.env.local`, written once by `make install`.

`make run` serves the platform with DEBUG on, and every `manage.py` command typed in the
same checkout afterwards must see the same settings without exporting anything. So the
first install writes `.env.local` beside `manage.py`: DEBUG on and a SECRET_KEY generated
for this checkout, kept across runs (sessions and signed cookies stay valid). Git and
Docker ignore the file; the real environment and `.env` (production's file) both win over
it, so a deployment never takes its values. `BLINDRATE_LOCAL_ENV` names another file, or
none when empty (the test suite reads none).

    python -m config.local          # write .env.local unless it exists; print its path
"""

import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VARIABLE = "BLINDRATE_LOCAL_ENV"


def local_env_file() -> Path | None:
    """The local settings file in force: `BLINDRATE_LOCAL_ENV`, or `.env.local` here."""
    named = os.environ.get(VARIABLE)
    if named is None:
        return BASE_DIR / ".env.local"
    return Path(named) if named.strip() else None


def local_env_write(path: Path) -> bool:
    """Write the development settings to `path` unless it exists; True when written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# blindrate: local development settings of this checkout, written by `make install`.\n"
        "# Not for production: the real environment and .env win over this file.\n"
        "DEBUG=true\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return True


def main() -> int:
    path = local_env_file()
    if path is None:
        print(f"{VARIABLE} is empty: no local settings file")
        return 0
    written = local_env_write(path)
    print(f"{'wrote' if written else 'kept'} local settings {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
