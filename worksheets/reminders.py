"""The reminder outbox: planning rows, claiming due ones, and sending one.

PostgreSQL holds the truth. A Celery message only says "send reminders X, Y now"; losing one
is harmless because an unsent row stays claimable, and a second delivery is harmless because
a send first locks the row and checks it is still claimed.
"""

import datetime as dt
import logging
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clients.links import issue_link, link_url, unsubscribe_url
from clients.messaging import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    send_email,
    send_to_partner,
)
from clients.models import Partner
from therapy.alerts import raise_delivery_alert, raise_missed_work_alert
from therapy.models import Alert, CounselingSession
from worksheets.models import Reminder, Response
from worksheets.scheduling import (
    QuietHours,
    before_session_slot,
    full_plan,
    outside_quiet_hours,
    reminder_slots,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_BACKOFF_BASE = dt.timedelta(minutes=1)
_BACKOFF_CAP = dt.timedelta(hours=2)
# Messages to the counselors rather than to the partner: the partner's quiet hours, opt-out and
# nudge cap do not apply to them.
STAFF_KINDS = {Reminder.Kind.COUNSELOR_ALERT, Reminder.Kind.SAFETY_NOTICE}
NUDGE_KINDS = {
    Reminder.Kind.BEFORE_DUE,
    Reminder.Kind.DUE_DAY,
    Reminder.Kind.OVERDUE_FIRST,
    Reminder.Kind.OVERDUE_SECOND,
    Reminder.Kind.BEFORE_SESSION,
}


def quiet_hours_of(partner: Partner) -> QuietHours:
    return QuietHours(partner.quiet_hours_start, partner.quiet_hours_end)


def _row(response: Response, kind: str, due_at: dt.datetime, now: dt.datetime) -> Reminder:
    channel = Partner.Channel.EMAIL if kind in STAFF_KINDS else response.partner.channel
    return Reminder(response=response, kind=kind, channel=channel, due_at=due_at, created_at=now)


def plan_reminders(
    *, response: Response, now: dt.datetime, opens_at: dt.datetime | None = None
) -> list[Reminder]:
    """Write the outbox rows for one response. Call inside the transaction that creates it."""
    partner = response.partner
    slots = reminder_slots(
        now=now,
        due_at=response.due_at,
        zone=ZoneInfo(partner.time_zone),
        preferred_hour=partner.preferred_hour,
        quiet=quiet_hours_of(partner),
        plan=response.assignment.reminder_plan,
        opens_at=opens_at,
    )
    rows = [_row(response, slot.kind, slot.due_at, now) for slot in slots]
    # The unique (response, kind) key makes planning twice a no-op rather than a double send.
    return Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def plan_before_session(
    *, response: Response, session_starts_at: dt.datetime, now: dt.datetime
) -> Reminder | None:
    """A "before your session" nudge for a worksheet still open before the next session."""
    partner = response.partner
    slot = before_session_slot(
        now=now,
        session_starts_at=session_starts_at,
        zone=ZoneInfo(partner.time_zone),
        quiet=quiet_hours_of(partner),
        plan=response.assignment.reminder_plan,
    )
    if slot is None or response.is_submitted:
        return None
    # A later session replaces a pending nudge for an earlier one; a sent one stays sent.
    Reminder.objects.filter(
        response=response, kind=slot.kind, status=Reminder.Status.PENDING
    ).delete()
    created = Reminder.objects.bulk_create(
        [_row(response, slot.kind, slot.due_at, now)], ignore_conflicts=True
    )
    return created[0] if created else None


def plan_safety_notice(*, alert: Alert, now: dt.datetime) -> Reminder:
    """The e-mail telling the couple's counselors that an urgent alert is waiting: an outbox
    row due now, written in the transaction that raised the alert, and swept at once."""
    from worksheets.tasks import request_sweep

    notice = Reminder.objects.create(
        response=alert.response,
        kind=Reminder.Kind.SAFETY_NOTICE,
        channel=Partner.Channel.EMAIL,
        due_at=now,
        alert=alert,
        created_at=now,
    )
    request_sweep()
    return notice


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


def claim_due_reminders(*, now: dt.datetime, limit: int) -> list[int]:
    """Claim due rows with a lease and return their ids: at most `limit` whose time has come,
    and at most `limit` whose lease ran out (their worker died, or the message was lost).

    One statement per batch, since the sweep is the hot path: each inner SELECT is served by
    its partial index, and SKIP LOCKED lets two sweeps run at once, each claiming rows the
    other has not locked. (SQLite, used by the demo, has no row locks and needs none: it
    runs one writer at a time.)
    """
    lock = "FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "claimed": Reminder.Status.CLAIMED,
        "pending": Reminder.Status.PENDING,
        "now": adapt(now),
        "lease_until": adapt(now + settings.REMINDER_LEASE),
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL.format(lock=lock), params)
        return [row[0] for row in cursor.fetchall()]


def reason_not_to_send(reminder: Reminder) -> str:
    """Why this reminder is no longer wanted, or "" when it still is."""
    if reminder.kind == Reminder.Kind.SAFETY_NOTICE:
        # The counselors hear of an urgent alert whatever became of the worksheet.
        return ""
    response = reminder.response
    partner = response.partner
    if response.is_submitted:
        return "The worksheet was already submitted."
    if not response.assignment.is_active:
        return "The assignment is no longer active."
    if not partner.couple.is_active:
        return "The couple is not active."
    if reminder.kind == Reminder.Kind.COUNSELOR_ALERT:
        return ""
    if partner.is_removed:
        return "The partner was removed."
    if reminder.kind != Reminder.Kind.INVITATION and not partner.reminders_enabled:
        return "The partner turned reminders off."
    if reminder.kind in NUDGE_KINDS:
        sent = response.reminders.filter(kind__in=NUDGE_KINDS, status=Reminder.Status.SENT)
        if sent.count() >= full_plan(response.assignment.reminder_plan)["max_nudges"]:
            return "The most nudges allowed for this worksheet were already sent."
    return ""


def compose(reminder: Reminder, *, now: dt.datetime) -> OutgoingMessage:
    response = reminder.response
    partner = response.partner
    zone = ZoneInfo(partner.time_zone)
    context = {
        "partner": partner,
        "worksheet": response.assignment.template,
        "due_local": response.due_at.astimezone(zone),
        "due_word": due_word(response.due_at, now, zone),
        "link": link_url(issue_link(partner=partner, now=now)),
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
        idempotency_key=f"reminder-{reminder.pk}",
        unsubscribe_url=unsubscribe_url(partner),
    )


def due_word(due_at: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """When the work is due, as the partner would say it on reading the message: "today",
    "tomorrow" (a due-day nudge sent the evening before an early deadline), or the weekday."""
    days = (due_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"on {due_at.astimezone(zone):%A}"


def backoff_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with full jitter, so failing sends do not retry in lockstep."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * (2 ** max(attempts - 1, 0)))
    seconds = ceiling.total_seconds()
    return dt.timedelta(seconds=random.uniform(seconds / 2, seconds))


def _lock(reminder_id: int) -> Reminder | None:
    # Lock the response before the reminder: submitting locks the response too, so a send and
    # a submission of the same worksheet happen one after the other, never interleaved.
    response_id = Reminder.objects.filter(pk=reminder_id).values_list("response_id", flat=True)
    locked = Response.objects.select_for_update().filter(pk__in=response_id).values_list("pk")
    if not list(locked):
        return None
    return (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("response__partner__couple", "response__assignment__template")
        .filter(pk=reminder_id)
        .first()
    )


def send_reminder(*, reminder_id: int, now: dt.datetime) -> str:
    """Send one claimed reminder, or record why not. Returns the row's resulting status.

    The row stays locked while the message goes out, so a submission waits for the send to be
    recorded: a reminder is never sent after the work it asks for was handed in.
    """
    with transaction.atomic():
        reminder = _lock(reminder_id)
        if reminder is None or reminder.status != Reminder.Status.CLAIMED:
            return "gone" if reminder is None else reminder.status
        reason = reason_not_to_send(reminder)
        if reason:
            return _record(reminder, status=Reminder.Status.SKIPPED, error=reason)
        if reminder.kind == Reminder.Kind.COUNSELOR_ALERT:
            raise_missed_work_alert(response=reminder.response, now=now)
            return _record(reminder, status=Reminder.Status.SENT, sent_at=now)
        if reminder.kind == Reminder.Kind.SAFETY_NOTICE:
            return _deliver(reminder, now=now)
        partner = reminder.response.partner
        allowed_at = outside_quiet_hours(now, ZoneInfo(partner.time_zone), quiet_hours_of(partner))
        if allowed_at > now:
            return _record(reminder, status=Reminder.Status.PENDING, due_at=allowed_at)
        return _deliver(reminder, now=now)


def compose_safety_notice(reminder: Reminder) -> OutgoingMessage:
    """Says only that an urgent alert is waiting, with a link: no names, no answers."""
    couple_id = reminder.response.assignment.couple_id
    context = {"url": f"{settings.SITE_URL}/admin/clients/couple/{couple_id}/overview/"}
    return OutgoingMessage(
        subject="Urgent: an alert is waiting for you in the counselor dashboard",
        body=render_to_string("worksheets/email/safety_notice.txt", context).strip() + "\n",
        idempotency_key=f"reminder-{reminder.pk}",
    )


def counselor_addresses(reminder: Reminder) -> list[str]:
    couple = reminder.response.assignment.couple
    return sorted({c.user.email for c in couple.counselors.select_related("user") if c.user.email})


def _provider_send(reminder: Reminder, *, now: dt.datetime) -> str:
    if reminder.kind == Reminder.Kind.SAFETY_NOTICE:
        return send_email(counselor_addresses(reminder), compose_safety_notice(reminder))
    return send_to_partner(
        reminder.response.partner, compose(reminder, now=now), channel=reminder.channel
    )


def _deliver(reminder: Reminder, *, now: dt.datetime) -> str:
    reminder.attempts += 1
    try:
        provider_id = _provider_send(reminder, now=now)
    except PermanentDeliveryError as error:
        return _fail(reminder, error=str(error), now=now)
    except TransientDeliveryError as error:
        if reminder.attempts >= MAX_ATTEMPTS:
            return _fail(reminder, error=str(error), now=now)
        retry_at = now + backoff_delay(reminder.attempts)
        return _record(reminder, status=Reminder.Status.PENDING, due_at=retry_at, error=str(error))
    logger.info("Sent reminder %s (%s)", reminder.pk, reminder.kind)
    return _record(reminder, status=Reminder.Status.SENT, sent_at=now, provider_id=provider_id)


def _fail(reminder: Reminder, *, error: str, now: dt.datetime) -> str:
    status = _record(reminder, status=Reminder.Status.FAILED, error=error)
    raise_delivery_alert(reminder=reminder, now=now)
    return status


def _record(reminder: Reminder, *, status: str, error: str = "", **changes) -> str:
    reminder.status = status
    reminder.lease_until = None
    reminder.last_error = error
    for name, value in changes.items():
        setattr(reminder, name, value)
    reminder.save()
    return status


def cancel_open_reminders(response: Response) -> int:
    """Called with the response locked, when it is submitted: the partner's reminders stop.
    An urgent notice to the counselors goes on."""
    return (
        Reminder.objects.filter(response=response)
        .exclude(kind=Reminder.Kind.SAFETY_NOTICE)
        .open()
        .update(status=Reminder.Status.CANCELLED, lease_until=None)
    )


def resend(*, reminder_ids: list[int], now: dt.datetime) -> int:
    """Put failed or skipped reminders back in the queue, to go out at the next sweep."""
    return Reminder.objects.filter(
        pk__in=reminder_ids, status__in=[Reminder.Status.FAILED, Reminder.Status.SKIPPED]
    ).update(
        status=Reminder.Status.PENDING, due_at=now, attempts=0, last_error="", lease_until=None
    )


@transaction.atomic
def reschedule_partner(*, partner: Partner, now: dt.datetime) -> int:
    """Plan a partner's pending reminders again after their time zone, quiet hours or preferred
    hour changed. Rows already sent stay as they are, so nothing is sent twice."""
    Reminder.objects.filter(response__partner=partner, status=Reminder.Status.PENDING).delete()
    responses = Response.objects.filter(
        partner=partner, status__in=[Response.Status.NOT_STARTED, Response.Status.DRAFT]
    ).select_related("assignment", "partner")
    next_session = upcoming_session(couple_id=partner.couple_id, now=now)
    planned = 0
    for response in responses:
        planned += len(plan_reminders(response=response, now=now))
        if next_session is not None:
            planned += bool(
                plan_before_session(
                    response=response, session_starts_at=next_session.starts_at, now=now
                )
            )
    return planned


def upcoming_session(*, couple_id: int, now: dt.datetime) -> CounselingSession | None:
    return CounselingSession.objects.filter(couple_id=couple_id, starts_at__gt=now).first()
