"""The client's address as our own reverse proxies saw it.

With `TRUSTED_PROXY_COUNT = n` proxies in front of the app, each appends the address it
received the request from to X-Forwarded-For, so the client is the n-th entry from the right.
Entries further left were sent by the client and can say anything: they are never used.
With n = 0 the header is ignored and REMOTE_ADDR is the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        # Fewer entries than proxies: the request did not come through all of them (someone
        # reached the app directly), so the connection's own address is the truth.
        return remote
    return _valid_ip(hops[-count]) or remote
