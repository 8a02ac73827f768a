"""Request rates: anonymous clients by address, authenticated ones by their token.

Counts live in Django's default cache: Redis when REDIS_URL is set, so every web process
counts the same requests; otherwise a cache per process, so with several web processes a
client may get up to that many times the rate.
"""

import hashlib

from rest_framework import throttling


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Requests without valid credentials, by client address (`API_THROTTLE_ANON`)."""

    scope = "anon"


class TokenRateThrottle(throttling.SimpleRateThrottle):
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
