"""Typed reading of environment variables that fails in one line naming the variable.

A misconfigured deployment should not start and should not print a traceback that hides
the cause: `ConfigError` carries "VARIABLE: what is wrong", and `Environment` turns it
into `SystemExit`, which Django, gunicorn and Celery all report as that one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
DATABASE_SCHEMES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "sqlite": "django.db.backends.sqlite3",
}
# Django's own fallback key is refused by `check --deploy`; this one is only ever used
# with DEBUG on, i.e. by `make run` on a developer's machine.
DEBUG_SECRET_KEY = "django-insecure-blindrate-local-development-only"
MISSING_SECRET_KEY = "required when DEBUG is off (set it to a long random string)"


class ConfigError(Exception):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _read_env_file(path: Path) -> dict[str, str]:
    """Return KEY=VALUE pairs of an optional `.env` file; the real environment wins."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


class Environment:
    """Values from the real environment, then from each file of `env_files` in turn: the
    first place that has a variable wins."""

    def __init__(self, *, env_files: tuple[Path | None, ...] = (), source=None) -> None:
        self._values = {}
        for env_file in reversed(env_files):
            if env_file:
                self._values.update(_read_env_file(env_file))
        self._values.update(os.environ if source is None else source)

    def _raw(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value is None else value.strip()

    def fail(self, name: str, problem: str):
        error = ConfigError(name, problem)
        raise SystemExit(f"blindrate configuration error: {error}") from error

    def str(self, name: str, *, default: str) -> str:
        value = self._raw(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, *, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        return self.fail(name, f"expected true or false, got {value!r}")

    def int(self, name: str, *, default: int, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            return self.fail(name, f"expected a whole number, got {value!r}")
        if minimum is not None and number < minimum:
            self.fail(name, f"must be at least {minimum}, got {number}")
        return number

    def list(self, name: str, *, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def path(self, name: str, *, default: Path) -> Path:
        value = self._raw(name)
        return Path(value) if value else default

    def url(self, name: str, *, default: str, schemes: tuple[str, ...]) -> str:
        value = self._raw(name)
        if not value:
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            expected = " or ".join(f"{scheme}://" for scheme in schemes)
            self.fail(name, f"expected a URL starting with {expected}, got {value!r}")
        try:
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            self.fail(name, f"the port in {value!r} is not a number")
        if not parts.hostname:
            self.fail(name, f"no host in {value!r}")
        return value

    def secret_key(self, name: str, *, debug: bool) -> str:
        value = self._raw(name)
        if value:
            return value
        if debug:
            return DEBUG_SECRET_KEY
        return self.fail(name, MISSING_SECRET_KEY)

    def database_url(self, name: str, *, default: str) -> dict:
        value = self._raw(name) or default
        scheme = urlsplit(value).scheme
        if scheme not in DATABASE_SCHEMES:
            known = ", ".join(f"{s}://" for s in DATABASE_SCHEMES)
            self.fail(name, f"cannot use {value!r}: expected one of {known}")
        try:
            config = environ.Env.db_url_config(value)
        except (ValueError, KeyError) as error:
            return self.fail(name, f"cannot parse {value!r}: {error}")
        if not config.get("NAME"):
            self.fail(name, f"no database name in {value!r}")
        config["ENGINE"] = DATABASE_SCHEMES[scheme]
        if config["ENGINE"].endswith("postgresql"):
            config["CONN_MAX_AGE"] = 60
            config["CONN_HEALTH_CHECKS"] = True
        else:
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            # WAL lets the web process read while the worker writes.
            config["OPTIONS"] = {
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        return config
