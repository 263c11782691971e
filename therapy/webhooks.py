"""Webhooks: a practice's other systems are told of events, signed per Standard Webhooks.

An event is written in the transaction of what it reports (a submission, an alert, work found
overdue) as one outbox row per subscription that wants it (worksheets.reminders
.plan_webhook_deliveries), and goes out by the outbox's one path (worksheets/outbox.py):
claimed with a lease, marked "sending" before the POST, retried with backoff, failed with an
alert. After a crash mid-send a webhook is sent again with the same `webhook-id`, so a
receiver de-duplicates by it.

A payload carries ids, times, kinds and stored scores only: never answer text, never an
alert's reason (which names people and worksheets), never a token or a link.

Signing follows the Standard Webhooks spec: the secret is `whsec_` and the base64 of random
bytes; `webhook-signature` is `v1,` and the base64 HMAC-SHA256, keyed with those bytes, of
"{webhook-id}.{webhook-timestamp}.{body}".
"""

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from therapy.models import Alert, Practice, WebhookSubscription

SUBMITTED = "response.submitted"
ALERT_RAISED = "alert.raised"
OVERDUE = "assignment.overdue"
EVENT_TYPES = [
    (SUBMITTED, "A partner handed in a worksheet"),
    (ALERT_RAISED, "An alert was raised for a couple"),
    (OVERDUE, "A partner's worksheet became overdue"),
]
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32  # the spec allows 24 to 64
# Receivers on the machine itself, for development and tests (WEBHOOK_ALLOW_LOCAL_HTTP).
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


# --- Secrets and signatures --------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(*, secret: str, message_id: str, body: bytes, now: dt.datetime) -> dict:
    """The headers of one attempt: the id is the event's, the same on every retry; the
    timestamp is the attempt's, so that a receiver can refuse stale replays."""
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# --- Where a webhook may go ----------------------------------------------------------------------


def _allows_local() -> bool:
    return settings.WEBHOOK_ALLOW_LOCAL_HTTP


def address_refused(address: str) -> bool:
    """Whether a webhook may not go to this IP address: anything but a public one, except
    this machine where WEBHOOK_ALLOW_LOCAL_HTTP allows it."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback and _allows_local():
        return False
    return not ip.is_global or ip.is_multicast


def resolve(host: str, port: int) -> list:
    """Every address `host` stands for, as the resolver answers now."""
    return socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)


def url_problem(url: str) -> str:
    """Why a webhook may not be posted to `url`, or "" when it may.

    https only, except http to this machine where WEBHOOK_ALLOW_LOCAL_HTTP allows it (DEBUG,
    tests). Every address the host resolves to must be public: a webhook must not reach the
    service's own network (private, loopback, link-local and reserved ranges). Checked when a
    subscription is saved and again before each POST, since a name can be pointed elsewhere
    later; the connection itself is checked too (clients.messaging)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host in LOCAL_HOSTS and _allows_local()
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return "Use an https address."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address."
    try:
        port = parts.port
        found = resolve(host, port or 443)
    except (socket.gaierror, UnicodeError, ValueError):
        return "This address's host name is not known."
    if any(address_refused(info[4][0]) for info in found):
        return "This address is on a private network; webhooks go to public addresses only."
    return ""


def validate_url(url: str) -> None:
    if problem := url_problem(url):
        raise ValidationError(problem)


# --- Subscriptions ------------------------------------------------------------------------------


def can_manage_webhooks(user) -> bool:
    """The people who manage the practice's API keys manage its webhooks too."""
    # Imported here: therapy.access reads worksheets, whose modules emit events.
    from therapy import api_keys

    return api_keys.can_manage_api_keys(user)


def subscriptions_for(user) -> QuerySet[WebhookSubscription]:
    """Operators see every subscription; a practice admin the practice's; anyone else none."""
    from therapy import access

    if access.is_operator(user):
        return WebhookSubscription.objects.all()
    if not can_manage_webhooks(user):
        return WebhookSubscription.objects.none()
    practice_id = access.counselor_for(user).practice_id
    return WebhookSubscription.objects.filter(practice_id=practice_id)


def create_subscription(
    *, practice: Practice, url: str, events: list[str], created_by, now: dt.datetime
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to `events`; returns the row and its secret, to be shown once."""
    validate_url(url)
    secret = new_secret()
    subscription = WebhookSubscription.objects.create(
        practice=practice,
        url=url,
        events=sorted(set(events)),
        secret=secret,
        created_by=created_by,
        created_at=now,
    )
    return subscription, secret


def update_subscription(
    *, subscription: WebhookSubscription, url: str, events: list[str], status: str
) -> None:
    """Change where and what a subscription receives, or pause or resume it. Resuming clears
    the reason it was paused for."""
    validate_url(url)
    subscription.url = url
    subscription.events = sorted(set(events))
    subscription.status = status
    if subscription.is_active:
        subscription.paused_reason = ""
    subscription.save(update_fields=["url", "events", "status", "paused_reason"])


def rotate_secret(*, subscription: WebhookSubscription, now: dt.datetime) -> str:
    """A new secret for the subscription, to be shown once. Deliveries not yet sent are
    signed with it; the old one stops working at once."""
    secret = new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        secret=secret, secret_rotated_at=now
    )
    subscription.secret = secret
    return secret


def pause_subscription(*, subscription_id: int, reason: str) -> int:
    """Stop deliveries to a subscription (its receiver answered 410 Gone). Deliveries still
    queued are skipped when their turn comes; resuming it is the practice admin's choice."""
    return WebhookSubscription.objects.filter(
        pk=subscription_id, status=WebhookSubscription.Status.ACTIVE
    ).update(status=WebhookSubscription.Status.PAUSED, paused_reason=reason)


# --- Events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    type: str
    practice_id: int
    # The partner the event is about, which scopes its deliveries; for an event about the
    # whole couple, one of its partners.
    partner_id: int
    data: dict


def emit(event: Event, *, now: dt.datetime) -> int:
    """Write one delivery of `event` for each of the practice's active subscriptions that
    wants it, in the caller's transaction. Returns how many."""
    from worksheets.reminders import plan_webhook_deliveries

    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(
            practice_id=event.practice_id, status=WebhookSubscription.Status.ACTIVE
        )
        if event.type in s.events
    ]
    if not subscriptions:
        return 0
    event_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event.type, "timestamp": _iso(now), "data": event.data}
    rows = plan_webhook_deliveries(
        subscriptions=subscriptions,
        partner_id=event.partner_id,
        event_id=event_id,
        event_type=event.type,
        payload=payload,
        now=now,
    )
    return len(rows)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _work(response) -> dict:
    assignment = response.assignment
    return {
        "response_id": response.pk,
        "assignment_id": assignment.pk,
        "couple_id": assignment.couple_id,
        "partner_id": response.partner_id,
        "worksheet": {"slug": assignment.template.slug, "version": assignment.template.version},
        "occurrence": response.occurrence,
        "due_at": _iso(response.due_at),
    }


def _stored_scores(response) -> dict:
    """The scores stored at submission, as figures: subscale keys, scores and bands."""
    scores = response.scores or {}
    return {
        "subscales": [
            {
                "key": s["key"],
                "score": s["score"],
                "maximum": s["maximum"],
                "band": s.get("band") or None,
            }
            for s in scores.get("subscales", [])
        ],
        "preferred_balance": response.preferred_balance,
        "map_position": response.map_position or None,
        "balance_gap": response.balance_gap,
    }


def submission_event(response) -> Event:
    data = {
        **_work(response),
        "submitted_at": _iso(response.submitted_at),
        "scores": _stored_scores(response),
    }
    return Event(SUBMITTED, response.assignment.couple.practice_id, response.partner_id, data)


def overdue_event(response) -> Event:
    return Event(
        OVERDUE, response.assignment.couple.practice_id, response.partner_id, _work(response)
    )


def alert_event(alert: Alert) -> Event | None:
    """The alert's ids and kind: never its reason, which names the partner and the worksheet.
    None for a couple with no partner to scope the delivery by."""
    response = alert.response
    partner_id = (
        response.partner_id
        if response is not None
        else alert.couple.partners.order_by("pk").values_list("pk", flat=True).first()
    )
    if partner_id is None:
        return None
    data = {
        "alert_id": alert.pk,
        "kind": alert.kind,
        "urgent": alert.is_urgent,
        "couple_id": alert.couple_id,
        "response_id": alert.response_id,
        "partner_id": response.partner_id if response is not None else None,
        "created_at": _iso(alert.created_at),
    }
    return Event(ALERT_RAISED, alert.couple.practice_id, partner_id, data)
