"""Health checks for load balancers and supervisors (README, "Health checks").

- `/healthz/live/`: the process answers; no database, no broker (liveness, and the
  benchmarks' trivial request).
- `/healthz/`: readiness, as JSON with the database and the broker reported separately.
  200 while the database answers, 503 when it does not: every page needs the database. A
  broker that is down is reported but keeps the status 200, because only starting an
  analysis needs it (that request says so itself).
"""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from config.celery import broker_problem
from config.unavailable import RETRY_AFTER_SECONDS


def _database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error means "not ready"
        return f"{type(error).__name__}: {error}".strip()
    return None


@never_cache
def live(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def ready(request):
    database, broker = _database_problem(), broker_problem()
    body = {
        "status": "ok" if database is None else "unavailable",
        "database": {"ok": database is None, "error": database},
        "broker": {"ok": broker is None, "error": broker},
    }
    response = JsonResponse(body, status=200 if database is None else 503)
    if database is not None:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
