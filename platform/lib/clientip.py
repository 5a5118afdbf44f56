"""The client's address, as the configured trusted proxies report it.

Behind N reverse proxies (nginx in deploy/compose.yaml: N = 1) that each append the address
they received a connection from to ``X-Forwarded-For``, the client is the N-th address from the
right: whatever a client writes into the header itself stays to the left and is never taken.
With N = 0 (the default: gunicorn serves directly) the header is ignored and the address is the
connection's. django-ipware parses the header (the library django-axes uses); this module only
tells it how many proxies to trust. Login throttling (django-axes), the signup and token
throttles and the /metrics network check all key on this one address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str:
    """The client's address; the connection's address when no proxy is trusted or the
    header does not hold as many hops as there are trusted proxies."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    proxies = settings.FORGERYBENCH_TRUSTED_PROXY_COUNT
    if proxies <= 0 or not request.META.get(FORWARDED_FOR):
        return remote
    # ipware counts the proxies *inside* the header: the nearest proxy is the connection
    # itself, so N trusted proxies leave N - 1 hops after the client in the header. Not strict:
    # extra (client-written) entries on the left are allowed and ignored.
    found, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=[FORWARDED_FOR],
        strict=False,
    )
    return found or remote


def ip_in_networks(address: str, networks: list[str]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(network, strict=False) for network in networks)
