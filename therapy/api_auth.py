"""Who may call the API: a signed-in counselor (the dashboard's session), or another system of
the practice with an API key (`Authorization: Bearer <key>`, therapy/api_keys.py).

A key answers 401 when it is unknown or revoked; a request with neither a key nor a session
answers 403, as the API always has. Each key is rate limited on its own, in the cache.
"""

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from therapy import access, api_keys, two_factor
from therapy.models import ApiKey

SCHEME = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`. No such header: not this kind of request (None)."""

    def authenticate(self, request):
        if _scheme_of(request) != SCHEME.lower().encode():
            return None
        parts = get_authorization_header(request).split()
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the key as 'Authorization: Bearer <key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Unknown API key.") from None
        key = api_keys.find_api_key(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if key.is_revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        api_keys.note_use(key, timezone.now())
        return api_keys.acting_user(key), key

    def authenticate_header(self, request):
        return f'{SCHEME} realm="api"'


def _scheme_of(request) -> bytes:
    parts = get_authorization_header(request).split()
    return parts[0].lower() if parts else b""


def key_of(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class KeyOrDashboard(BasePermission):
    """A valid key (writes only with a read-write key), or the dashboard's own sign-in,
    including the second step where it is required."""

    message = "Sign in to the counselor dashboard first, or give an API key."

    def has_permission(self, request, view):
        key = key_of(request)
        if key is not None:
            if request.method not in SAFE_METHODS and not key.can_write:
                self.message = "This API key may only read."
                return False
            return True
        return access.can_use_dashboard(request.user) and not two_factor.needs_second_step(request)


class ApiKeyThrottle(SimpleRateThrottle):
    """Requests per key, counted in the default cache (Redis where CACHE_URL is set).
    The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]."""

    scope = "api_key"

    def get_rate(self):
        # Read when used, not when the class is made, so that a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        key = key_of(request)
        if key is None:
            return None  # sessions are not throttled here
        return self.cache_format % {"scope": self.scope, "ident": key.pk}


class KeyAwareView:
    """Mixed into the API's views: a failed key answers 401 with the Bearer challenge, even
    though the session comes first for a browser; no credentials at all still answer 403."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [KeyOrDashboard]
    throttle_classes = [ApiKeyThrottle]

    def get_authenticate_header(self, request):
        if _scheme_of(request) == SCHEME.lower().encode():
            return ApiKeyAuthentication().authenticate_header(request)
        return None
