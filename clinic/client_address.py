"""The client's address: one answer for the sign-in lockout (django-axes), the bad-link limit
(django-ratelimit), the API throttle and the audit trail.

Each reverse proxy in front of the app appends the address its connection came from to
``X-Forwarded-For``. Behind ``TRUSTED_PROXY_COUNT`` of them the client is therefore the N-th
entry from the right; anything further left is whatever the client chose to send. With no
trusted proxy the header is ignored, since the client could have written all of it, and the
address is the connection's (``REMOTE_ADDR``). python-ipware parses the entries (ports,
brackets, IPv4-mapped IPv6).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

_HEADER = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    A request without the header (a health probe calling the process directly) or whose
    proxies' entries are not addresses answers with the connection's address.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get(_HEADER, "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count or not forwarded:
        return peer
    # Only the last ``count`` entries were written by the proxies. They are cut off before
    # parsing, so nothing the client wrote (an unclosed quote, a bad entry) can shift them.
    by_proxies = forwarded.split(",")[-count:]
    resolver = IpWare(precedence=(_HEADER,), proxy_count=len(by_proxies) - 1)
    address, _ = resolver.get_client_ip({_HEADER: ",".join(by_proxies)}, strict=True)
    return str(address) if address is not None else peer
