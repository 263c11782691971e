"""The reminder outbox: planning rows, claiming due ones, and sending one.

PostgreSQL holds the truth. A Celery message only says "send reminder X now"; losing one is
harmless because an unsent row stays claimable, and a second delivery is harmless because a
send first locks the row and checks it is still claimed.
"""

import datetime as dt
import logging
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from clients.links import issue_link, link_url
from clients.messaging import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    send_to_partner,
)
from clients.models import Partner
from worksheets.models import Reminder, Response
from worksheets.scheduling import QuietHours, default_reminder_slots, outside_quiet_hours

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_BACKOFF_BASE = dt.timedelta(minutes=1)
_BACKOFF_CAP = dt.timedelta(hours=2)


def quiet_hours_of(partner: Partner) -> QuietHours:
    return QuietHours(partner.quiet_hours_start, partner.quiet_hours_end)


def plan_reminders(*, response: Response, now: dt.datetime) -> list[Reminder]:
    """Write the outbox rows for one response. Call inside the transaction that creates it."""
    partner = response.partner
    slots = default_reminder_slots(
        now=now,
        due_at=response.due_at,
        zone=ZoneInfo(partner.time_zone),
        preferred_hour=partner.preferred_hour,
        quiet=quiet_hours_of(partner),
    )
    rows = [
        Reminder(
            response=response,
            kind=slot.kind,
            channel=partner.channel,
            due_at=slot.due_at,
            created_at=now,
        )
        for slot in slots
    ]
    # The unique (response, kind) key makes planning twice a no-op rather than a double send.
    return Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def claim_due_reminders(*, now: dt.datetime, limit: int) -> list[int]:
    """Claim up to `limit` due rows with a lease and return their ids.

    SKIP LOCKED lets two sweeps run at once: each claims rows the other has not locked.
    Rows whose lease ran out (their worker died, or the broker lost the message) are due again.
    """
    with transaction.atomic():
        ids = list(
            Reminder.objects.claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("due_at")
            .values_list("id", flat=True)[:limit]
        )
        Reminder.objects.filter(id__in=ids).update(
            status=Reminder.Status.CLAIMED, lease_until=now + settings.REMINDER_LEASE
        )
    return ids


def reason_not_to_send(reminder: Reminder) -> str:
    """Why this reminder is no longer wanted, or "" when it still is."""
    response = reminder.response
    if response.is_submitted:
        return "The worksheet was already submitted."
    if not response.assignment.is_active:
        return "The assignment is no longer active."
    if not response.partner.couple.is_active:
        return "The couple is not active."
    if reminder.kind != Reminder.Kind.INVITATION and not response.partner.reminders_enabled:
        return "The partner turned reminders off."
    return ""


def compose(reminder: Reminder, *, now: dt.datetime) -> OutgoingMessage:
    response = reminder.response
    partner = response.partner
    zone = ZoneInfo(partner.time_zone)
    context = {
        "partner": partner,
        "worksheet": response.assignment.template,
        "due_local": response.due_at.astimezone(zone),
        "link": link_url(issue_link(partner=partner, now=now)),
        "link_days": settings.PORTAL_LINK_LIFETIME.days,
        "kind": reminder.kind,
    }
    subject = render_to_string("worksheets/email/subject.txt", context).strip()
    body = render_to_string("worksheets/email/reminder.txt", context)
    return OutgoingMessage(subject=subject, body=body, idempotency_key=f"reminder-{reminder.pk}")


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
        partner = reminder.response.partner
        allowed_at = outside_quiet_hours(now, ZoneInfo(partner.time_zone), quiet_hours_of(partner))
        if allowed_at > now:
            return _record(reminder, status=Reminder.Status.PENDING, due_at=allowed_at)
        return _deliver(reminder, now=now)


def _deliver(reminder: Reminder, *, now: dt.datetime) -> str:
    reminder.attempts += 1
    try:
        provider_id = send_to_partner(reminder.response.partner, compose(reminder, now=now))
    except PermanentDeliveryError as error:
        return _record(reminder, status=Reminder.Status.FAILED, error=str(error))
    except TransientDeliveryError as error:
        if reminder.attempts >= MAX_ATTEMPTS:
            return _record(reminder, status=Reminder.Status.FAILED, error=str(error))
        retry_at = now + backoff_delay(reminder.attempts)
        return _record(reminder, status=Reminder.Status.PENDING, due_at=retry_at, error=str(error))
    logger.info("Sent reminder %s (%s)", reminder.pk, reminder.kind)
    return _record(reminder, status=Reminder.Status.SENT, sent_at=now, provider_id=provider_id)


def _record(reminder: Reminder, *, status: str, error: str = "", **changes) -> str:
    reminder.status = status
    reminder.lease_until = None
    reminder.last_error = error
    for name, value in changes.items():
        setattr(reminder, name, value)
    reminder.save()
    return status


def cancel_open_reminders(response: Response) -> int:
    """Called with the response locked, when it is submitted."""
    return (
        Reminder.objects.filter(response=response)
        .open()
        .update(status=Reminder.Status.CANCELLED, lease_until=None)
    )
