"""Who sent a request, for the limits that count by address (new-link requests, staff
sign-in).

Behind a reverse proxy, REMOTE_ADDR is the proxy's address, the same for everyone. Each proxy
in front of the service appends the address it received from to X-Forwarded-For, so with
TRUSTED_PROXY_COUNT proxies the client is that many entries from the end; entries further
left are whatever the client chose to send and are never believed. With no proxies
(the default), X-Forwarded-For is ignored altogether.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
