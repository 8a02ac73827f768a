"""Request rates: anonymous clients by address, authenticated ones by their token.

Every request counts, including those answered 401 or 403: DRF checks authentication and
permissions before throttles, so without `ThrottledFirst` a client guessing tokens, or
sending none, would never be limited. The client's address is the connection's
(`REMOTE_ADDR`), or, behind `NUM_PROXIES` trusted proxies (config.client), the address the last of
them saw in `X-Forwarded-For`; a header the client sends itself is never trusted.

Counts live in Django's default cache: Redis when REDIS_URL is set, so every web process
counts the same requests; otherwise a cache per process, so with several web processes a
client may get up to that many times the rate. While the cache cannot be reached (Redis
restarting), requests are let through uncounted, with a warning in the log: the API does
not depend on Redis for anything but starting an analysis.
"""

import hashlib
import logging

from redis.exceptions import RedisError
from rest_framework import exceptions, throttling

from config.client import client_address


class ThrottledFirst:
    """A view mixin: throttles before permissions, and for failed authentication too."""

    def perform_authentication(self, request):
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed:
            # The request is anonymous from here on: counted by address.
            self.check_throttles(request)
            raise

    def check_permissions(self, request):
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if getattr(request, "_blindrate_throttled", False):
            return  # counted once per request
        request._blindrate_throttled = True
        super().check_throttles(request)


logger = logging.getLogger(__name__)


class CountedWhenPossible:
    """A throttle mixin: a cache that cannot be reached lets the request through."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("request rates not counted: the cache is unavailable (%s)", error)
            return True


class AnonRateThrottle(CountedWhenPossible, throttling.AnonRateThrottle):
    """Requests without valid credentials, by client address (`API_THROTTLE_ANON`)."""

    scope = "anon"

    def get_ident(self, request):
        return client_address(request)


class TokenRateThrottle(CountedWhenPossible, throttling.SimpleRateThrottle):
    """Requests with a token, by token; with a session, by user (`API_THROTTLE_TOKEN`)."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # AnonRateThrottle's turn
        token = getattr(request.auth, "key", None)
        # The cache (Redis, say) never holds a usable token, only its digest.
        ident = (
            f"key-{hashlib.sha256(token.encode()).hexdigest()[:32]}"
            if token
            else f"user-{request.user.pk}"
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}
