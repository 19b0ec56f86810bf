"""The client's address, for per-address limits (portal code throttles, django-axes).

Behind reverse proxies every request comes from the nearest proxy, so the address is taken
from X-Forwarded-For, but only through `TRUSTED_PROXY_COUNT` proxies that the operator runs:
each of them appends the address it received the request from, so the client is the entry
that many places from the right. Entries further left were written by the client and are
ignored (they can say anything). With 0 (the default) X-Forwarded-For is ignored altogether
and REMOTE_ADDR is the client, which is right when nothing stands in front of the server.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0))


def _address(text: str) -> str | None:
    text = (text or "").strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address, or None when it cannot be told."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    count = trusted_proxy_count()
    if count == 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        # Fewer hops than proxies configured: the header did not come through them all.
        return remote
    return _address(forwarded[-count]) or remote
