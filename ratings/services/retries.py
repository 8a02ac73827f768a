"""Transactions that lost a race with another: run again, never shown to a rater.

The lock order of the rating services makes deadlocks impossible (see `assignment`), but
PostgreSQL may still end a transaction with a serialization failure or, should a path
ever break the order, a deadlock. Either means "nothing happened, try again", so the
public services run their transaction again a few times before giving up.
"""

import functools
import logging
import random
import time

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

RETRIES = 4
# SQLSTATEs of a transaction PostgreSQL rolled back to settle a conflict with another:
# serialization_failure and deadlock_detected (psycopg's SerializationFailure and
# DeadlockDetected, which Django wraps in OperationalError with the original as cause).
CONFLICTS = {"40001", "40P01"}


def is_conflict(error: BaseException) -> bool:
    """Whether `error` is PostgreSQL giving up a transaction in favour of another."""
    return any(getattr(found, "sqlstate", None) in CONFLICTS for found in (error, error.__cause__))


def retried(function):
    """Run `function` (one transaction) again when it ends in a conflict, up to RETRIES
    times, after a short random pause. Only when it is the outermost transaction: inside
    an outer one (a test, the simulation), the outer transaction is lost anyway."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        outermost = not connection.in_atomic_block
        attempt = 0
        while True:
            try:
                return function(*args, **kwargs)
            except DatabaseError as error:
                attempt += 1
                if not outermost or attempt > RETRIES or not is_conflict(error):
                    raise
                logger.warning("%s: %s; running it again", function.__name__, error)
                time.sleep(random.uniform(0, 0.02 * attempt))

    return run
