"""The client's address, for every limit that counts by address (API throttles, admin
login lockouts): one rule, so that no limit trusts a header another one ignores.

The connection's address (`REMOTE_ADDR`), unless `NUM_PROXIES` reverse proxies that the
deployment trusts stand in front: then the address the outermost of them saw, i.e. the
NUM_PROXIES-th entry of `X-Forwarded-For` counted from the right. Entries further left
are whatever the client wrote and are never used.
"""

from django.conf import settings


def client_address(request) -> str:
    proxies = settings.NUM_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    return addresses[-min(proxies, len(addresses))] if addresses else remote
