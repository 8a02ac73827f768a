import re

from django.apps import AppConfig
from django.conf import settings

RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")
RATE_VARIABLES = {"anon": "API_THROTTLE_ANON", "token": "API_THROTTLE_TOKEN"}


class ApiConfig(AppConfig):
    """The REST interface of DESIGN §5: thin views over the studies, ratings and analysis
    services and selectors."""

    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # A rate DRF cannot read would only fail at the first request; fail at start,
        # in one line naming the variable, like the rest of the configuration.
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        for scope, variable in RATE_VARIABLES.items():
            rate = rates.get(scope)
            if rate is not None and not RATE.match(str(rate)):
                raise SystemExit(
                    f"blindrate configuration error: {variable}: expected a rate like "
                    f"60/minute (per second, minute, hour or day), got {rate!r}"
                )
