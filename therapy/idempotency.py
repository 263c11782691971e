"""`Idempotency-Key` on the API's POSTs: a client that did not hear the answer sends the same
request again with the same key, and gets the first answer back instead of a second change.

- Keys are the caller's own (unique per user): the same key from another caller is another
  request.
- The same key with the same path and body replays the first answer: its status and body, with
  `Idempotent-Replayed: true`. With another path or body it answers 422.
- While the first request with a key is still being answered, another with it answers 409:
  each request takes a PostgreSQL advisory lock on (caller, key) for its transaction, without
  waiting, and the lock goes with the commit. Elsewhere (SQLite, the demo) writers queue
  anyway, and the unique (user, key) constraint refuses the second record all the same.
- The answer is recorded in the transaction of the change, so a crash leaves neither or both.
  Only 2xx and 4xx answers are kept: after a 5xx the client may try again, and nothing of it
  was committed.
- Keys are kept for KEPT_FOR (24 hours); a key older than that is a new request, and the
  retention task deletes it (therapy/retention.py).
"""

import datetime as dt
import hashlib

from django.db import IntegrityError, connection, transaction
from drf_spectacular.utils import OpenApiParameter

from therapy.api_problems import INVALID_REQUEST, KEY_REUSED, REQUEST_IN_PROGRESS, Problem
from therapy.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_FOR = dt.timedelta(hours=24)
MAX_KEY_LENGTH = IdempotentRequest._meta.get_field("key").max_length
# How the schema shows the header on each POST.
HEADER_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any 1 to 255 characters, new for each change: the same request again with "
    "it gets the first answer back (Idempotent-Replayed: true) instead of a second change",
)


def key_of(request) -> str | None:
    """The request's key, or None when it has none. A key that cannot be one answers 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Problem(
            status=400,
            type=INVALID_REQUEST,
            detail=f"Give an {HEADER} of 1 to {MAX_KEY_LENGTH} characters.",
        )
    return key


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def claim(*, user, key: str, path: str, body: bytes, now: dt.datetime) -> IdempotentRequest | None:
    """Call inside the request's transaction. The recorded answer to replay, or None when this
    request is the first with the key (and holds it until its transaction ends)."""
    if connection.vendor == "postgresql" and not _try_lock(user.pk, key):
        raise in_progress()
    earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
    if earlier is not None and earlier.created_at <= now - KEPT_FOR:
        earlier.delete()  # past its day: a new request
        earlier = None
    if earlier is not None and (earlier.path != path or earlier.request_digest != digest_of(body)):
        raise Problem(
            status=422,
            type=KEY_REUSED,
            detail=f"This {HEADER} was used for another request: use a new key for this one.",
        )
    return earlier


def record(
    *, user, key: str, path: str, body: bytes, status: int, answer, now: dt.datetime
) -> bool:
    """Keep a 2xx or 4xx answer, in the transaction of the change (a 5xx is not kept). False
    when another request with the key was recorded first: the caller undoes its change."""
    if status >= 500:
        return True
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                user=user,
                key=key,
                method="POST",
                path=path,
                request_digest=digest_of(body),
                status_code=status,
                response_body=answer,
                created_at=now,
            )
    except IntegrityError:
        # Another request with the key committed first (only where there is no advisory lock).
        return False
    return True


def purge_expired(*, now: dt.datetime) -> int:
    """Delete the keys past their day; returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lte=now - KEPT_FOR).delete()
    return deleted


def _try_lock(user_id: int, key: str) -> bool:
    lock_id = int.from_bytes(
        hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()[:8], "big", signed=True
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return cursor.fetchone()[0]


def in_progress() -> Problem:
    return Problem(
        status=409,
        type=REQUEST_IN_PROGRESS,
        detail=f"A request with this {HEADER} is still being answered: try again shortly.",
    )
