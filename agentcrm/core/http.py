"""Reading requests safely: `id_param` for a record id in a query parameter, and the client's
address as our own reverse proxies saw it (`client_ip`).

`id_param`: str.isdigit() is true for "²", "٣" or "１" too, which int() then refuses or reads
as another number, and twenty ASCII digits overflow the database's bigint; both were 500s.

`client_ip`:

With `TRUSTED_PROXY_COUNT = n` proxies in front of the app, each appends the address it
received the request from to X-Forwarded-For, so the client is the n-th entry from the right.
Entries further left were sent by the client and can say anything: they are never used.
With n = 0 the header is ignored and REMOTE_ADDR is the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

ID_MAX = 2**63 - 1  # PostgreSQL's bigint, the primary keys' type


def id_param(value: str | None) -> int | None:
    """`value` as a record id: ASCII digits only, 1 to ID_MAX; anything else None."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None


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
