"""The Celery application: settings under the CELERY_ namespace, tasks found in the apps."""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

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


@worker_ready.connect
def reap_dead_analysis_runs(sender=None, **kwargs) -> None:
    """A starting worker queues again (or fails) the runs of workers that died mid-run."""
    from django.db import connections

    from analysis.services import analysis_reap_stale

    try:
        analysis_reap_stale()
    except Exception:
        logging.getLogger(__name__).exception("could not reap the runs of dead workers")
    finally:
        connections.close_all()
