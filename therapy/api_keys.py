"""A practice's API keys: made, found by the key, revoked.

A key is `tk_<prefix>_<secret>`: the prefix (8 hex characters) is public and tells keys apart
in the dashboard; the secret is 32 random bytes. Only the SHA-256 digest of the whole key is
stored, so the key itself is seen once, when it is made, and never again. A plain digest, not
a slow password hash, is enough: the secret has 256 bits, so there is nothing to guess.

A key acts as a practice admin of its practice would: it reads every couple of the practice,
through therapy.access like everyone else. Each key has an account of its own, which cannot
sign in, so that the access log names the key (never the key's secret) for its reads.
"""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from therapy import access
from therapy.models import ApiKey, Counselor, Practice

KEY_START = "tk_"
# The last-used time is written at most this often, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def digest_of(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, practice: Practice, name: str, scope: str, created_by, now: dt.datetime
) -> tuple[ApiKey, str]:
    """Make a key for `practice`; returns the row and the key, which is not kept anywhere."""
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    user = get_user_model().objects.create_user(
        username=f"api-key-{prefix}", first_name="API key", last_name=name[:150]
    )  # no password: the account cannot sign in
    key = ApiKey.objects.create(
        practice=practice,
        name=name,
        scope=scope,
        prefix=prefix,
        digest=digest_of(raw_key),
        user=user,
        created_by=created_by,
        created_at=now,
    )
    return key, raw_key


def find_api_key(raw_key: str) -> ApiKey | None:
    """The key row for `raw_key`, revoked or not, or None for a key we never made."""
    if not raw_key.startswith(KEY_START):
        return None
    return (
        ApiKey.objects.select_related("user", "practice").filter(digest=digest_of(raw_key)).first()
    )


def revoke_api_keys(*, keys: QuerySet[ApiKey], now: dt.datetime) -> int:
    """Revoke the keys not revoked yet; a revoked key answers 401 from its next request on."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=now)


def note_use(key: ApiKey, now: dt.datetime) -> None:
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def acting_user(key: ApiKey):
    """The key's account, standing in memory only as a practice admin of the key's practice,
    which is what therapy.access reads to scope every query. Nothing of it is saved."""
    user = key.user
    user.is_staff = True
    user.counselor = Counselor(user=user, practice=key.practice, role=Counselor.Role.PRACTICE_ADMIN)
    return user


def can_manage_api_keys(user) -> bool:
    counselor = access.counselor_for(user)
    return access.is_operator(user) or (
        counselor is not None and user.is_staff and counselor.is_practice_admin
    )


def api_keys_for(user) -> QuerySet[ApiKey]:
    """Operators see every key; a practice admin the practice's; anyone else none."""
    if access.is_operator(user):
        return ApiKey.objects.all()
    if not can_manage_api_keys(user):
        return ApiKey.objects.none()
    return ApiKey.objects.filter(practice_id=access.counselor_for(user).practice_id)
