"""Wrong staff passwords counted by address as well as by username.

django-axes locks a username after STAFF_LOGIN_FAILURE_LIMIT wrong passwords. That alone lets
one address try a common password against every username in turn. So wrong passwords are also
counted per address, with a higher limit (STAFF_ADDRESS_FAILURE_LIMIT) since a practice's
staff often share one office address, over the same lockout window; past it, sign-in from
that address is refused without trying the password until the window ends.
"""

from django.conf import settings
from django.core.cache import cache

from therapy.client_address import client_ip


def _key(request) -> str:
    return f"staff-sign-in-failures:{client_ip(request)}"


def count_failure(sender, credentials=None, request=None, **kwargs) -> None:
    """django.contrib.auth's user_login_failed receiver."""
    if request is None:
        return
    window = int(settings.AXES_COOLOFF_TIME.total_seconds())
    key = _key(request)
    cache.add(key, 0, timeout=window)  # the window starts at the first failure
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)


def address_locked(request) -> bool:
    return (cache.get(_key(request)) or 0) >= settings.STAFF_ADDRESS_FAILURE_LIMIT
