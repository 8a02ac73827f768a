"""The Celery application: settings under the CELERY_ namespace, tasks found in the apps."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("blindrate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def ensure_broker_folders(sender: Celery, **kwargs) -> None:
    """Create the filesystem broker's folders; kombu expects them to exist."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = str(sender.conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


@app.task(name="blindrate.ping", ignore_result=False)
def ping() -> str:
    """Answer a health check: proves a worker consumes from the configured broker."""
    return "pong"


BROKER_TIMEOUT = 3  # seconds to wait for the broker before saying it is unavailable


def broker_problem(timeout: float = BROKER_TIMEOUT) -> str | None:
    """None when the broker answers now (one quick try), else what went wrong."""
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as error:  # kombu's OperationalError, a refused or timed-out socket
        return f"{type(error).__name__}: {error}"
    return None
