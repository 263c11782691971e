"""The outbox: every message the system sends is claimed, sent and recorded by this one path.

Planning (which messages, and when) lives in reminders.py and scheduling.py. Here a message is:

1. **claimed** by a sweep, with a lease, in one statement per batch;
2. **checked** (still wanted? in quiet hours? too late?) with the rest of its batch, in a few
   queries;
3. **marked "sending"** and committed before its provider is called, so that after a crash the
   row says a send may have happened;
4. **recorded** with its outcome, together with the rest of its batch, in one statement.

No provider is exactly-once. A "sending" row whose lease ran out (its worker died mid-send)
follows its kind's rule: nudges become "outcome unknown" and are not sent again, because a
missed nudge costs less than a doubled one; invitations, links and notices to counselors are
sent again, because they must arrive. Webhooks are sent again too, with the same
`webhook-id` (the event's id, kept on the row), by which receivers de-duplicate. The row id
is the idempotency key given to providers (the e-mail's Message-ID, the SMS backend's key).

Webhooks (therapy/webhooks.py) go to the practice's systems, not to a partner: quiet hours,
opt-out, nudge caps and a submitted worksheet do not stop them; a paused subscription does.
A 2xx is sent; 410 Gone pauses the subscription and fails the row; any other 4xx fails it;
a 5xx, a timeout or a connection error is retried with the same backoff and attempts as
every kind, then failed with the same alert.

A send never starts after the partner handed the work in: the row is marked "sending" only if
the response is still open, and a session advisory lock on the response, held from then until
the batch is recorded, makes a submission wait for sends in progress (at most
SUBMIT_WAIT_FOR_SEND; see responses.submit_response).
"""

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from clients.delivery_errors import OutcomeUnknownError
from clients.links import issue_links, link_email, link_url, unsubscribe_url
from clients.messaging import (
    OutgoingMessage,
    OutgoingWebhook,
    PermanentDeliveryError,
    Providers,
    ReceiverGoneError,
    TransientDeliveryError,
)
from clients.models import Partner
from therapy import webhooks
from therapy.alerts import raise_delivery_alert, raise_missed_work_alert, raise_webhook_alert
from worksheets.models import Reminder, Response
from worksheets.scheduling import QuietHours, full_plan, outside_quiet_hours

logger = logging.getLogger(__name__)

Kind, Status = Reminder.Kind, Reminder.Status
MAX_ATTEMPTS = 5
_BACKOFF_BASE = dt.timedelta(minutes=1)
_BACKOFF_CAP = dt.timedelta(hours=2)
NUDGE_KINDS = {
    Kind.BEFORE_DUE,
    Kind.DUE_DAY,
    Kind.OVERDUE_FIRST,
    Kind.OVERDUE_SECOND,
    Kind.BEFORE_SESSION,
}
# Messages to the counselors: the partner's quiet hours, opt-out and nudge cap do not apply,
# and neither does the work being handed in.
STAFF_KINDS = {Kind.SAFETY_NOTICE, Kind.ALERT_EMAIL}
# Statuses that count toward the nudge cap: a nudge whose outcome is unknown may have arrived.
_COUNTED = [Status.SENDING, Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.UNKNOWN]
# Advisory-lock keys of our own (this base plus a response id), so that no other use of
# advisory locks can collide with them.
LOCK_BASE = 7301 << 40


# --- Claiming ----------------------------------------------------------------------------------

_CLAIM_SQL = """
UPDATE worksheets_reminder SET status = %(claimed)s, lease_until = %(lease_until)s
WHERE id IN (
    SELECT id FROM (
        SELECT id FROM worksheets_reminder
        WHERE status = %(pending)s AND due_at <= %(now)s
        ORDER BY due_at LIMIT %(limit)s {lock}
    ) AS due
    UNION ALL
    SELECT id FROM (
        SELECT id FROM worksheets_reminder
        WHERE status = %(claimed)s AND lease_until < %(now)s
        ORDER BY lease_until LIMIT %(limit)s {lock}
    ) AS lease_expired
)
RETURNING id
"""


def _lock_clause() -> str:
    return "FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""


def claim_due_reminders(*, now: dt.datetime, limit: int) -> list[int]:
    """Claim due rows with a lease and return their ids: at most `limit` whose time has come,
    and at most `limit` whose lease ran out (their worker died, or the message was lost).

    One statement per batch, since the sweep is the hot path: each inner SELECT is served by
    its partial index, and SKIP LOCKED lets two sweeps run at once, each claiming rows the
    other has not locked. (SQLite, used by the demo, has no row locks and needs none: it
    runs one writer at a time.)
    """
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "claimed": Status.CLAIMED,
        "pending": Status.PENDING,
        "now": adapt(now),
        "lease_until": adapt(now + settings.REMINDER_LEASE),
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL.format(lock=_lock_clause()), params)
        return [row[0] for row in cursor.fetchall()]


_RECOVER_SQL = """
UPDATE worksheets_reminder SET
    status = CASE WHEN kind IN ({nudges}) THEN %(unknown)s ELSE %(claimed)s END,
    lease_until = CASE WHEN kind IN ({nudges}) THEN NULL ELSE %(lease_until)s END,
    last_error = CASE WHEN kind IN ({nudges}) THEN %(unknown_note)s ELSE %(again_note)s END
WHERE id IN (
    SELECT id FROM worksheets_reminder
    WHERE status = %(sending)s AND lease_until < %(now)s
    ORDER BY lease_until LIMIT %(limit)s {lock}
)
RETURNING id, status
"""


def recover_interrupted_sends(*, now: dt.datetime, limit: int) -> list[int]:
    """Rows left "sending" by a worker that died mid-send, by their kind's rule: nudges are
    recorded as "outcome unknown" and never sent again; every other kind is claimed again, to
    be sent again. Returns the ids claimed again."""
    adapt = connection.ops.adapt_datetimefield_value
    nudges = ", ".join(f"'{kind}'" for kind in sorted(NUDGE_KINDS))
    params = {
        "unknown": Status.UNKNOWN,
        "claimed": Status.CLAIMED,
        "sending": Status.SENDING,
        "lease_until": adapt(now + settings.REMINDER_LEASE),
        "now": adapt(now),
        "limit": limit,
        "unknown_note": "The send was interrupted; it may or may not have arrived. "
        "Nudges are not sent twice.",
        "again_note": "The send was interrupted; sending again.",
    }
    with connection.cursor() as cursor:
        cursor.execute(_RECOVER_SQL.format(nudges=nudges, lock=_lock_clause()), params)
        return [pk for pk, status in cursor.fetchall() if status == Status.CLAIMED]


# --- Deciding: still wanted? ---------------------------------------------------------------------


# Columns of the batch's joined rows that no check and no message reads. The answers were
# decrypted for every row, and the templates' long texts made the batch's query the widest
# part of a send; a rare path that does read one loads it on its own.
_NOT_READ_WHEN_SENDING = (
    "response__answers",
    "response__withheld",
    "response__scores",
    "response__assignment__visibility_overrides",
    "response__assignment__template__purpose",
    "response__assignment__template__instructions",
    "response__assignment__template__counselor_notes",
    "response__assignment__template__discussion_prompts",
    "response__assignment__template__grounding",
    "response__assignment__template__scoring",
    "partner__couple__practice__support_message",
    "partner__couple__practice__support_contacts",
)


def _batch(reminder_ids: list[int]) -> list[Reminder]:
    """The batch's claimed rows, with everything the checks and the messages need, in one
    query (the count of nudges already out for each response included)."""
    counted = (
        Reminder.objects.filter(
            response_id=OuterRef("response_id"), kind__in=NUDGE_KINDS, status__in=_COUNTED
        )
        .order_by()
        .values("response_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Still claimed is checked here rather than in the query, which then goes by the primary
    # key (see _MARK_SENDING_SQL) instead of reading every claimed row of a backlog.
    rows = (
        Reminder.objects.filter(pk__in=reminder_ids)
        .select_related(
            "partner__couple__practice",
            "response__assignment__template",
            "alert",
            "subscription",
        )
        .defer(*_NOT_READ_WHEN_SENDING)
        .annotate(nudges_out=Coalesce(Subquery(counted), 0))
        .order_by("pk")
    )
    batch = [reminder for reminder in rows if reminder.status == Status.CLAIMED]
    for reminder in batch:
        # The message reads the deadline on the partner's clock (Response.due_local): the
        # partner already loaded, rather than one query per message for the same row.
        if reminder.response_id is not None and reminder.response.partner_id == reminder.partner_id:
            reminder.response.partner = reminder.partner
    return batch


def quiet_hours_of(partner: Partner) -> QuietHours:
    return QuietHours(partner.quiet_hours_start, partner.quiet_hours_end)


def reason_not_to_send(reminder: Reminder, *, now: dt.datetime) -> str:
    """Why this message is no longer wanted, or "" when it still is."""
    if reminder.kind == Kind.WEBHOOK:
        # The event happened whatever became of the partner or the worksheet since.
        return "" if reminder.subscription.is_active else "The subscription is paused."
    if reminder.kind in STAFF_KINDS:
        # The counselors hear of an alert whatever became of the worksheet.
        return ""
    if reminder.expires_at is not None and now >= reminder.expires_at:
        return "Too late: the moment it was for has passed."
    partner = reminder.partner
    if partner.is_removed:
        return "The partner was removed."
    if not partner.couple.is_active:
        return "The couple is not active."
    if reminder.kind == Kind.LINK:
        return ""
    response = reminder.response
    if response.is_submitted:
        return "The worksheet was already submitted."
    if not response.assignment.is_active:
        return "The assignment is no longer active."
    if reminder.kind == Kind.COUNSELOR_ALERT:
        return ""
    if reminder.kind != Kind.INVITATION and not partner.reminders_enabled:
        return "The partner turned reminders off."
    if reminder.kind in NUDGE_KINDS:
        cap = full_plan(response.assignment.reminder_plan)["max_nudges"]
        if reminder.nudges_out >= cap:
            return "The most nudges allowed for this worksheet were already sent."
    return ""


def _quiet_until(reminder: Reminder, now: dt.datetime) -> dt.datetime | None:
    """When a message to a partner in quiet hours may go instead; None when it may go now."""
    if reminder.kind in STAFF_KINDS or reminder.kind in (Kind.LINK, Kind.WEBHOOK):
        # Counselors' notices, a link the partner just asked for, and webhooks to systems.
        return None
    partner = reminder.partner
    allowed = outside_quiet_hours(now, ZoneInfo(partner.time_zone), quiet_hours_of(partner))
    return allowed if allowed > now else None


# --- Composing -----------------------------------------------------------------------------------


def due_word(due_at: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """When the work is due, as the partner would say it on reading the message: "today",
    "tomorrow" (a due-day nudge sent the evening before an early deadline), or the weekday."""
    days = (due_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"on {due_at.astimezone(zone):%A}"


def compose(reminder: Reminder, *, now: dt.datetime, token: str) -> OutgoingMessage:
    """The message of an invitation or a nudge, in the partner's own zone."""
    response = reminder.response
    partner = reminder.partner
    zone = ZoneInfo(partner.time_zone)
    context = {
        "partner": partner,
        "worksheet": response.assignment.template,
        "due_local": response.due_at.astimezone(zone),
        "due_word": due_word(response.due_at, now, zone),
        # The deadline in words true for the partner (Response.deadline_words).
        "deadline": response.deadline_words(),
        "deadline_soon": response.deadline_words(now),
        "link": link_url(token),
        "link_days": settings.PORTAL_LINK_LIFETIME.days,
        "kind": reminder.kind,
        # A safety check is never named in a message: a partner's phone may be seen by the
        # other partner.
        "neutral": response.assignment.template.is_safety_check,
        "overdue": response.is_overdue(now),
        "unsubscribe": unsubscribe_url(partner),
    }
    template = "sms.txt" if reminder.channel == Partner.Channel.SMS else "reminder.txt"
    # Templates show times in the active zone: the partner's, not the server's UTC.
    with timezone.override(zone):
        subject = render_to_string("worksheets/email/subject.txt", context).strip()
        body = render_to_string(f"worksheets/email/{template}", context).strip() + "\n"
    return OutgoingMessage(
        subject=subject,
        body=body,
        idempotency_key=message_key(reminder.pk),
        unsubscribe_url=context["unsubscribe"],
    )


def _couple_url(reminder: Reminder) -> str:
    return f"{settings.SITE_URL}/admin/clients/couple/{reminder.partner.couple_id}/overview/"


def compose_safety_notice(reminder: Reminder) -> OutgoingMessage:
    """Says only that an urgent alert is waiting, with a link: no names, no answers."""
    body = render_to_string("worksheets/email/safety_notice.txt", {"url": _couple_url(reminder)})
    return OutgoingMessage(
        subject="Urgent: an alert is waiting for you in the counselor dashboard",
        body=body.strip() + "\n",
        idempotency_key=message_key(reminder.pk),
    )


def compose_alert_email(reminder: Reminder) -> OutgoingMessage:
    """An alert for the counselors who asked for alerts by e-mail: the couple and the reason
    (which names the worksheet, never an answer)."""
    couple = reminder.partner.couple
    return OutgoingMessage(
        subject=f"Worksheet still open: {couple.label}",
        body=f"{reminder.alert.reason}\n\nSee the counselor dashboard:\n{_couple_url(reminder)}\n",
        idempotency_key=message_key(reminder.pk),
    )


def compose_webhook(reminder: Reminder, *, now: dt.datetime) -> OutgoingWebhook:
    """The event's body as written when it happened, signed for this attempt."""
    body = webhooks.body_of(reminder.payload)
    subscription = reminder.subscription
    headers = webhooks.signed_headers(
        secret=subscription.secret, message_id=reminder.event_id, body=body, now=now
    )
    return OutgoingWebhook(url=subscription.url, headers=headers, body=body)


def counselor_addresses(reminder: Reminder) -> list[str]:
    """Every counselor of the couple for an urgent notice; for an alert e-mail, those who asked
    for alerts by e-mail."""
    counselors = reminder.partner.couple.counselors.select_related("user")
    if reminder.kind == Kind.ALERT_EMAIL:
        counselors = counselors.filter(alert_by_email=True)
    return sorted({c.user.email for c in counselors if c.user.email})


def message_key(reminder_id: int) -> str:
    """The key a message carries to its provider (Message-ID, Twilio callback address), the
    same on every attempt: it names the outbox row."""
    return f"reminder-{reminder_id}"


def row_named_by(key: str) -> int | None:
    """The outbox row a message key names, or None for any other text."""
    prefix, _, number = key.partition("-")
    if prefix != "reminder" or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


# --- Sending a batch -----------------------------------------------------------------------------


@dataclass
class Outcome:
    reminder: Reminder
    status: str
    last_error: str = ""
    provider_id: str = ""
    sent_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    # A webhook receiver's HTTP status.
    response_code: int | None = None


def backoff_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with full jitter, so failing sends do not retry in lockstep."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * (2 ** max(attempts - 1, 0)))
    seconds = ceiling.total_seconds()
    return dt.timedelta(seconds=random.uniform(seconds / 2, seconds))


def _locks_responses(reminder: Reminder) -> bool:
    """Sends that must not overlap the partner handing the work in."""
    return reminder.response_id is not None and reminder.kind not in STAFF_KINDS


# "(status = claimed) IS TRUE" rather than "status = claimed": the planner cannot match it to
# the partial index on claimed rows, and so finds the row by its primary key. Just after a
# sweep has claimed a backlog, the table's statistics still see that index as nearly empty,
# and the planner chose it, reading the whole backlog for every message marked.
_MARK_SENDING_SQL = """
UPDATE worksheets_reminder SET status = '{sending}', lease_until = {lease},
    attempts = attempts + 1
WHERE id = {id} AND (status = '{claimed}') IS TRUE {open_check}
RETURNING {lock}
"""

_OPEN_CHECK_SQL = """AND NOT EXISTS (SELECT 1 FROM worksheets_response r
    WHERE r.id = worksheets_reminder.response_id AND r.status = '{submitted}')"""


def _mark_sending_sql(*, locks: bool, postgres: bool, id: str, lease: str) -> str:
    lock = f"pg_try_advisory_lock({LOCK_BASE} + response_id)" if postgres and locks else "TRUE"
    return _MARK_SENDING_SQL.format(
        sending=Status.SENDING,
        claimed=Status.CLAIMED,
        id=id,
        lease=lease,
        open_check=_OPEN_CHECK_SQL.format(submitted=Response.Status.SUBMITTED) if locks else "",
        lock=lock,
    )


def _mark_sending(reminder: Reminder, now: dt.datetime) -> bool:
    """Commit the row as "sending", if it is still claimed and its response still open. One
    statement; on PostgreSQL it also takes the response's advisory lock, which a submission
    waits for. Returns whether the message may go."""
    locks = _locks_responses(reminder)
    adapt = connection.ops.adapt_datetimefield_value
    params = {"id": reminder.pk, "lease": adapt(now + settings.OUTBOX_SENDING_LEASE)}
    postgres = connection.vendor == "postgresql"
    sql = _mark_sending_sql(locks=locks, postgres=postgres, id="%(id)s", lease="%(lease)s")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    reminder.attempts += 1
    if row[0] in (True, 1):
        return True
    # Someone else holds this response's lock: a submission in progress, or another batch
    # with a message for the same worksheet. Waiting here could deadlock with that batch, so
    # the row goes back to the queue, claimable at once: the next sweep sends it if still
    # wanted, and a submission meanwhile cancels it.
    Reminder.objects.filter(pk=reminder.pk, status=Status.SENDING).update(
        status=Status.CLAIMED, lease_until=now, attempts=F("attempts") - 1
    )
    return False


def _unlock_responses() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")


def _deliver(reminder: Reminder, providers: Providers, *, now: dt.datetime, token: str) -> str:
    kind = reminder.kind
    if kind == Kind.WEBHOOK:
        return str(providers.webhook(compose_webhook(reminder, now=now)))
    if kind == Kind.SAFETY_NOTICE:
        return providers.email(counselor_addresses(reminder), compose_safety_notice(reminder))
    if kind == Kind.ALERT_EMAIL:
        return providers.email(counselor_addresses(reminder), compose_alert_email(reminder))
    if kind == Kind.LINK:
        message = link_email(reminder.partner, token, message_key(reminder.pk))
        return providers.email([reminder.partner.email], message)
    message = compose(reminder, now=now, token=token)
    return providers.to_partner(reminder.partner, message, channel=reminder.channel)


def _attempt(reminder, providers, *, now, token) -> Outcome:
    try:
        provider_id = _deliver(reminder, providers, now=now, token=token)
    except PermanentDeliveryError as error:
        code = getattr(error, "response_code", None)
        return Outcome(reminder, Status.FAILED, last_error=str(error), response_code=code)
    except TransientDeliveryError as error:
        code = getattr(error, "response_code", None)
        if isinstance(error, OutcomeUnknownError) and reminder.kind in NUDGE_KINDS:
            # It may have arrived; a nudge is never risked twice.
            return Outcome(reminder, Status.UNKNOWN, last_error=f"Outcome unknown: {error}")
        if reminder.attempts >= MAX_ATTEMPTS:
            return Outcome(reminder, Status.FAILED, last_error=str(error), response_code=code)
        retry_at = now + backoff_delay(reminder.attempts)
        return Outcome(
            reminder, Status.PENDING, last_error=str(error), due_at=retry_at, response_code=code
        )
    if reminder.kind == Kind.WEBHOOK:
        return Outcome(reminder, Status.SENT, sent_at=now, response_code=int(provider_id))
    return Outcome(reminder, Status.SENT, provider_id=provider_id, sent_at=now)


def send_batch(
    reminder_ids: list[int], *, budget: float | None = None, clock=timezone.now
) -> dict[int, str]:
    """Send a batch of claimed messages and record what became of each; returns id -> status.

    Rows no longer claimed (sent by an earlier delivery of the same batch, or claimed again
    elsewhere) are left alone, so a batch delivered twice sends nothing twice. The batch stops
    starting new sends once `budget` seconds (by default OUTBOX_BATCH_SECONDS) are spent, or
    when the task's time limit is near, and gives its untried rows back; whatever was sent by
    then is recorded, whatever stops it.
    """
    started = time.monotonic()
    budget = settings.OUTBOX_BATCH_SECONDS if budget is None else budget
    now = clock()
    batch = _batch(reminder_ids)
    outcomes, to_send = _decide(batch, now=now)
    _record_decisions(outcomes)
    tokens = _links_for(to_send, now=now)
    sent: list[Outcome] = []
    untried = list(to_send)
    try:
        with Providers() as providers:
            while untried:
                if time.monotonic() - started > budget:
                    break
                reminder = untried.pop(0)
                now = clock()
                if not _mark_sending(reminder, now):
                    continue
                sent.append(_attempt(reminder, providers, now=now, token=tokens.get(reminder.pk)))
    except SoftTimeLimitExceeded:
        # The message in flight stays "sending"; its kind's rule decides after its lease.
        logger.warning("A send batch reached its time limit; recording what was sent")
    finally:
        _record(sent)
        _unlock_responses()
        _give_back(untried)
    _pause_gone_receivers(sent)
    _alert_failures(sent, now=clock())
    results = {o.reminder.pk: o.status for o in [*outcomes, *sent]}
    logger.info(
        "Sent %s of a batch of %s",
        sum(status == Status.SENT for status in results.values()),
        len(reminder_ids),
    )
    return results


def send_reminder(*, reminder_id: int, now: dt.datetime) -> str:
    """Send one claimed row as a batch of one, as of `now` (the demo replays its history this
    way). Returns the row's status afterwards, or "gone" if it no longer exists."""
    send_batch([reminder_id], clock=lambda: now)
    status = Reminder.objects.filter(pk=reminder_id).values_list("status", flat=True).first()
    return status or "gone"


def _decide(batch: list[Reminder], *, now: dt.datetime) -> tuple[list[Outcome], list[Reminder]]:
    """Sort a batch into rows settled without a provider (skipped, put off to the end of quiet
    hours, a counselor alert raised) and rows to send."""
    settled, to_send = [], []
    for reminder in batch:
        reason = reason_not_to_send(reminder, now=now)
        if reason:
            settled.append(Outcome(reminder, Status.SKIPPED, last_error=reason))
        elif reminder.kind == Kind.COUNSELOR_ALERT:
            settled.append(_raise_counselor_alert(reminder, now=now))
        elif (later := _quiet_until(reminder, now)) is not None:
            settled.append(Outcome(reminder, Status.PENDING, due_at=later))
        else:
            to_send.append(reminder)
    return settled, to_send


def _raise_counselor_alert(reminder: Reminder, *, now: dt.datetime) -> Outcome:
    """The work is still open a day after the last nudge: an alert on the dashboard, and an
    e-mail (an outbox row of its own) for counselors who asked for one."""
    from worksheets.reminders import plan_alert_email

    with transaction.atomic():
        alert = raise_missed_work_alert(response=reminder.response, now=now)
        if (
            alert is not None
            and reminder.partner.couple.counselors.filter(alert_by_email=True).exists()
        ):
            plan_alert_email(alert=alert, partner=reminder.partner, now=now)
    return Outcome(reminder, Status.SENT, sent_at=now)


def _links_for(reminders: list[Reminder], *, now: dt.datetime) -> dict[int, str]:
    """A fresh personal link for each message that carries one, written in one statement."""
    needing = [r for r in reminders if r.kind not in STAFF_KINDS and r.kind != Kind.WEBHOOK]
    tokens = issue_links(partners=[r.partner for r in needing], now=now)
    return {r.pk: token for r, token in zip(needing, tokens, strict=True)}


_RECORD_SQL = """
UPDATE worksheets_reminder AS r SET
    status = v.status,
    last_error = v.last_error,
    provider_id = v.provider_id,
    sent_at = COALESCE(v.sent_at::timestamptz, r.sent_at),
    due_at = COALESCE(v.due_at::timestamptz, r.due_at),
    {response_code}
    lease_until = NULL
FROM (VALUES {rows}) AS v(id, status, last_error, provider_id, sent_at, due_at, response_code)
WHERE r.id = v.id AND r.status = %s
"""


def _update_each(outcomes: list[Outcome], *, from_status: str) -> None:
    """Write every outcome of a batch in one UPDATE, only over rows still in `from_status`.

    On PostgreSQL, one statement joined to a VALUES list: building the same update as Django
    CASE expressions cost more than the rest of the batch's database work. (The demo's SQLite
    takes the expressions.)"""
    if not outcomes:
        return
    if connection.vendor != "postgresql":
        return _update_each_portably(outcomes, from_status=from_status)
    adapt = connection.ops.adapt_datetimefield_value
    params = []
    for o in outcomes:
        params += [o.reminder.pk, o.status, o.last_error, o.provider_id]
        params += [adapt(o.sent_at), adapt(o.due_at), o.response_code]
    rows = ", ".join(["(%s::bigint, %s, %s, %s, %s, %s, %s::integer)"] * len(outcomes))
    # An attempt's outcome names the receiver's status; a decision made without one keeps
    # the last attempt's.
    code = "response_code = v.response_code," if from_status == Status.SENDING else ""
    sql = _RECORD_SQL.format(rows=rows, response_code=code)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, from_status])


def _update_each_portably(outcomes: list[Outcome], *, from_status: str) -> None:
    def per_row(field, default):
        return Case(
            *[When(pk=o.reminder.pk, then=Value(getattr(o, field))) for o in outcomes],
            default=default,
            output_field=Reminder._meta.get_field(field),
        )

    def when_set(field):
        return Case(
            *[
                When(pk=o.reminder.pk, then=Value(getattr(o, field)))
                for o in outcomes
                if getattr(o, field)
            ],
            default=F(field),
            output_field=Reminder._meta.get_field(field),
        )

    attempted = {"response_code": per_row("response_code", None)}
    Reminder.objects.filter(pk__in=[o.reminder.pk for o in outcomes], status=from_status).update(
        **(attempted if from_status == Status.SENDING else {}),
        status=per_row("status", F("status")),
        last_error=per_row("last_error", F("last_error")),
        provider_id=per_row("provider_id", F("provider_id")),
        sent_at=when_set("sent_at"),
        due_at=when_set("due_at"),
        lease_until=None,
    )


def _record_decisions(outcomes: list[Outcome]) -> None:
    _update_each(outcomes, from_status=Status.CLAIMED)


def _record(sent: list[Outcome]) -> None:
    _update_each(sent, from_status=Status.SENDING)


def _give_back(untried: list[Reminder]) -> None:
    """Rows the batch had no time for go back to the queue, due now."""
    if untried:
        Reminder.objects.filter(pk__in=[r.pk for r in untried], status=Status.CLAIMED).update(
            status=Status.PENDING, lease_until=None
        )


def _pause_gone_receivers(sent: list[Outcome]) -> None:
    """A receiver that answered 410 Gone asked for no more webhooks: its subscription is
    paused until a practice admin resumes it."""
    for outcome in sent:
        if outcome.status == Status.FAILED and outcome.response_code == ReceiverGoneError.code:
            webhooks.pause_subscription(
                subscription_id=outcome.reminder.subscription_id,
                reason="The receiver answered 410 Gone.",
            )


def _alert_failures(sent: list[Outcome], *, now: dt.datetime) -> None:
    for outcome in sent:
        failed = outcome.status == Status.FAILED
        if failed and outcome.reminder.kind == Kind.WEBHOOK:
            outcome.reminder.last_error = outcome.last_error
            raise_webhook_alert(reminder=outcome.reminder, now=now)
        elif failed and outcome.reminder.kind not in STAFF_KINDS and outcome.reminder.response_id:
            outcome.reminder.last_error = outcome.last_error
            raise_delivery_alert(reminder=outcome.reminder, now=now)
        if outcome.status == Status.FAILED:
            logger.warning(
                "Message %s (%s) failed: %s",
                outcome.reminder.pk,
                outcome.reminder.kind,
                outcome.last_error,
            )


# --- The delivery log's actions -----------------------------------------------------------------


def resend(*, reminder_ids: list[int], now: dt.datetime) -> int:
    """Put failed, skipped or unknown messages back in the queue, to go out at the next sweep.
    A message past its expiry is not resent: it would arrive too late to mean anything."""
    return (
        Reminder.objects.filter(
            pk__in=reminder_ids,
            status__in=[Status.FAILED, Status.SKIPPED, Status.UNKNOWN, Status.UNDELIVERED],
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(status=Status.PENDING, due_at=now, attempts=0, last_error="", lease_until=None)
    )
