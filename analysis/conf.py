"""The analysis jobs' limits, read from Django settings with these defaults.

- `BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT` (900 s): the task is asked to stop; the run fails
  with a message saying so.
- `BLINDRATE_ANALYSIS_TIME_LIMIT` (960 s): the worker kills the task's process; the run is
  then reaped like one whose worker died.
- `BLINDRATE_ANALYSIS_HEARTBEAT_SECONDS` (10 s): how often a running job says it is alive.
- `BLINDRATE_ANALYSIS_STALE_SECONDS` (120 s): silence after which a running job's worker is
  taken for dead.
- `BLINDRATE_ANALYSIS_MAX_ATTEMPTS` (2): how many times a run may start; a dead worker's run
  is queued again until then, and failed after.
- `BLINDRATE_ANALYSIS_QUEUED_SECONDS` (900 s): how long a run may wait for a worker after
  its task was sent; then the task is sent once more, and after a second wait the run
  fails (the message was lost: the broker restarted without persistence or was flushed,
  or no worker of this deployment reads the queue).
- `BLINDRATE_ANALYSIS_EMBEDDING_THREADS` (2): BLAS threads of the sentence embeddings (the
  diversity section's slowest stage); on a 2-core machine two threads embed about 1.4x
  faster than one, but a worker running several analyses side by side, or a machine busy
  with other work, is better served by 1.
"""

from django.conf import settings

DEFAULTS = {
    "SOFT_TIME_LIMIT": 900,
    "TIME_LIMIT": 960,
    "HEARTBEAT_SECONDS": 10.0,
    "STALE_SECONDS": 120.0,
    "MAX_ATTEMPTS": 2,
    "QUEUED_SECONDS": 900.0,
    "EMBEDDING_THREADS": 2,
}


def analysis_setting(name: str):
    """`BLINDRATE_ANALYSIS_<name>` from the settings, or its default."""
    return getattr(settings, f"BLINDRATE_ANALYSIS_{name}", DEFAULTS[name])
