"""Who may call the API: a signed-in counselor (the dashboard's session), or another system of
the practice with an API key (`Authorization: Bearer <key>`, therapy/api_keys.py).

A key answers 401 when it is unknown or revoked; a request with neither a key nor a session
answers 403, as the API always has. Each key is rate limited on its own, in the cache. Every
POST of every API view may carry an `Idempotency-Key` (therapy/idempotency.py).
"""

from contextlib import ExitStack

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from therapy import access, api_keys, idempotency, two_factor
from therapy.api_problems import MEDIA_TYPE, READ_ONLY_KEY, Problem, problem_body
from therapy.models import ApiKey, IdempotentRequest

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
                raise Problem(status=403, type=READ_ONLY_KEY, detail="This API key may only read.")
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


def body_of(request) -> bytes:
    """The request's body as sent; over DATA_UPLOAD_MAX_MEMORY_SIZE it answers 413."""
    try:
        return request._request.body
    except RequestDataTooBig:
        raise Problem(
            status=413, type="about:blank", detail="The body is larger than this API takes."
        ) from None


class Replay(Exception):
    """The answer recorded for this request's Idempotency-Key, to send again."""

    def __init__(self, earlier: IdempotentRequest):
        super().__init__(earlier.key)
        self.earlier = earlier


class KeyAwareView:
    """Mixed into the API's views: a failed key answers 401 with the Bearer challenge, even
    though the session comes first for a browser; no credentials at all still answer 403.

    A POST with an Idempotency-Key runs in one transaction: the key is claimed once the caller
    is known and allowed, the view's change runs in a savepoint (undone when it answers 4xx),
    and its answer is recorded before the commit (none of it is kept after a 5xx)."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [KeyOrDashboard]
    throttle_classes = [ApiKeyThrottle]
    _idempotency_key = None
    _savepoint = None

    def get_authenticate_header(self, request):
        if _scheme_of(request) == SCHEME.lower().encode():
            return ApiKeyAuthentication().authenticate_header(request)
        return None

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or idempotency.HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        self._now = timezone.now()
        # The transaction opens once the caller is known (initial), and ends with the request:
        # committed with its answer, or rolled back by an error that escapes as a 500.
        with ExitStack() as self._transaction:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST":
            return
        key = idempotency.key_of(request)
        if key is None:
            return
        self._body = body_of(request)  # before the parser reads it: the digest is of these bytes
        # Only now: the key's last use is written outside it, so a second request with the
        # same key is never queued behind the first's lock on the key's row.
        self._transaction.enter_context(transaction.atomic())
        earlier = idempotency.claim(
            user=request.user, key=key, path=request.get_full_path(), body=self._body, now=self._now
        )
        if earlier is not None:
            raise Replay(earlier)
        self._idempotency_key = key
        self._savepoint = transaction.savepoint()

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            status = exc.earlier.status_code
            return Response(
                exc.earlier.response_body,
                status=status,
                headers={idempotency.REPLAYED_HEADER: "true"},
                content_type=MEDIA_TYPE if status >= 400 else None,
            )
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._savepoint is not None:
            response = self._keep_answer(request, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def _keep_answer(self, request, response):
        status = response.status_code
        if status >= 400:
            transaction.savepoint_rollback(self._savepoint)  # a refusal changes nothing
        else:
            transaction.savepoint_commit(self._savepoint)
        self._savepoint = None
        kept = idempotency.record(
            user=request.user,
            key=self._idempotency_key,
            path=request.get_full_path(),
            body=self._body,
            status=status,
            answer=response.data,
            now=self._now,
        )
        if status >= 500 or not kept:
            transaction.set_rollback(True)
        if kept:
            return response
        problem = idempotency.in_progress()
        return Response(
            problem_body(409, problem.type, str(problem.detail)),
            status=409,
            content_type=MEDIA_TYPE,
        )
