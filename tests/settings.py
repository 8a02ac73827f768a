"""The suite's settings: the project's one settings module, read with DEBUG off like
production, a fixed test secret, and plain HTTP for the test client."""

import os

# Never the checkout's development settings (.env.local, config.local): processes the
# tests start inherit this too.
os.environ["BLINDRATE_LOCAL_ENV"] = ""
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: F403

# The manifest of hashed static files exists only after collectstatic, which a deployment
# runs; templates in tests resolve plain names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A worker process started by a test must see the test database: on SQLite that needs a
# file, not the in-memory default.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        # One file per test run, so that runs side by side never share a database.
        "NAME": str(VAR_DIR / f"test-blindrate-{os.getpid()}.sqlite3")  # noqa: F405
    }
