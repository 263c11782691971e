"""Planning the outbox: which messages a partner or a counselor gets, and when.

Rows are written here, in the transaction of whatever causes them; worksheets/outbox.py sends
them. PostgreSQL holds the truth: a Celery message only says "send these rows now".
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from clients.models import Partner
from therapy.models import Alert, CounselingSession, WebhookSubscription
from worksheets.models import WEBHOOK_CHANNEL, Reminder, Response
from worksheets.outbox import NUDGE_KINDS, STAFF_KINDS, quiet_hours_of
from worksheets.scheduling import before_session_slot, deadline_for, reminder_slots

Kind = Reminder.Kind
# A nudge about the due date means nothing once the work is due: the overdue nudges take over.
_EXPIRE_AT_DUE = {Kind.BEFORE_DUE, Kind.DUE_DAY}
# How long a requested link is worth sending: after that the partner has long asked again.
LINK_WORTH_SENDING = dt.timedelta(hours=24)
# The kinds planned from a partner's own settings (zone, quiet hours, channel).
PARTNER_KINDS = {Kind.INVITATION, Kind.COUNSELOR_ALERT, *NUDGE_KINDS}


def _row(response: Response, kind: str, due_at: dt.datetime, now: dt.datetime) -> Reminder:
    channel = Partner.Channel.EMAIL if kind in STAFF_KINDS else response.partner.channel
    return Reminder(
        partner_id=response.partner_id,
        response=response,
        kind=kind,
        channel=channel,
        due_at=due_at,
        expires_at=response.due_at if kind in _EXPIRE_AT_DUE else None,
        created_at=now,
    )


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
    row = _row(response, slot.kind, slot.due_at, now)
    # Once the session has begun, "before your session" would arrive too late.
    row.expires_at = session_starts_at
    created = Reminder.objects.bulk_create([row], ignore_conflicts=True)
    return created[0] if created else None


def plan_safety_notice(*, alert: Alert, now: dt.datetime) -> Reminder:
    """The e-mail telling the couple's counselors that an urgent alert is waiting: an outbox
    row due now, written in the transaction that raised the alert, and swept at once."""
    from worksheets.tasks import request_sweep

    notice = Reminder.objects.create(
        partner_id=alert.response.partner_id,
        response=alert.response,
        kind=Reminder.Kind.SAFETY_NOTICE,
        channel=Partner.Channel.EMAIL,
        due_at=now,
        alert=alert,
        created_at=now,
    )
    request_sweep()
    return notice


def plan_alert_email(*, alert: Alert, partner: Partner, now: dt.datetime) -> Reminder:
    """The e-mail of an alert, for the counselors who asked for alerts by e-mail."""
    from worksheets.tasks import request_sweep

    row = Reminder.objects.create(
        partner=partner,
        response=alert.response,
        kind=Kind.ALERT_EMAIL,
        channel=Partner.Channel.EMAIL,
        due_at=now,
        alert=alert,
        created_at=now,
    )
    request_sweep()
    return row


def request_link(*, partner: Partner, now: dt.datetime) -> Reminder:
    """A fresh personal link the partner asked for: an outbox row due now."""
    from worksheets.tasks import request_sweep

    row = Reminder.objects.create(
        partner=partner,
        kind=Kind.LINK,
        channel=Partner.Channel.EMAIL,
        due_at=now,
        expires_at=now + LINK_WORTH_SENDING,
        created_at=now,
    )
    request_sweep()
    return row


def plan_webhook_deliveries(
    *,
    subscriptions: list[WebhookSubscription],
    partner_id: int,
    event_id: str,
    event_type: str,
    payload: dict,
    now: dt.datetime,
) -> list[Reminder]:
    """One outbox row per subscription for an event (therapy.webhooks.emit), due now, in the
    transaction of what the event reports; the next sweep sends it, within a minute. Quiet
    hours, opt-out and nudge caps are a partner's and do not apply: these go to the
    practice's systems."""
    rows = [
        Reminder(
            partner_id=partner_id,
            kind=Kind.WEBHOOK,
            channel=WEBHOOK_CHANNEL,
            due_at=now,
            subscription=subscription,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            created_at=now,
        )
        for subscription in subscriptions
    ]
    return Reminder.objects.bulk_create(rows)


def report_overdue_work(*, now: dt.datetime, limit: int) -> int:
    """Tell the practice's systems of work that has become overdue since the last sweep: the
    "assignment.overdue" event, once per response, whether or not the partner takes
    reminders. Returns how many responses were reported.

    Each response is marked reported in the same transaction as its event is written, so a
    second sweep, or two at once (SKIP LOCKED), reports nothing twice. Work whose assignment
    was paused or cancelled, or whose partner was removed, is marked without an event.
    """
    from therapy import webhooks

    with transaction.atomic():
        ids = list(
            Response.objects.open()
            .filter(overdue_reported_at__isnull=True, due_at__lt=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        Response.objects.filter(pk__in=ids).update(overdue_reported_at=now)
        overdue = (
            Response.objects.overdue(now)
            .filter(pk__in=ids, partner__in=Partner.objects.current())
            .select_related("assignment__template", "assignment__couple")
        )
        for response in overdue:
            webhooks.emit(webhooks.overdue_event(response), now=now)
    return len(ids)


def cancel_open_reminders(response: Response) -> int:
    """Called with the response locked, when it is submitted: every message to the partner
    about it that has not gone to a provider stops. Notices to counselors go on."""
    return (
        Reminder.objects.filter(response=response, kind__in=PARTNER_KINDS)
        .open()
        .update(status=Reminder.Status.CANCELLED, lease_until=None)
    )


@transaction.atomic
def reschedule_partner(*, partner: Partner, now: dt.datetime) -> int:
    """Plan a partner's pending reminders again after their time zone, quiet hours or preferred
    hour changed. Rows already sent stay as they are, so nothing is sent twice.

    Open work due by a date stays due by the end of that date on the partner's clock: in the
    new zone, that is a new instant.
    """
    Reminder.objects.filter(
        partner=partner, kind__in=PARTNER_KINDS, status=Reminder.Status.PENDING
    ).delete()
    responses = list(
        Response.objects.open().filter(partner=partner).select_related("assignment", "partner")
    )
    for response in responses:
        if response.due_date is not None:
            response.due_at = deadline_for(
                partner.time_zone, due_at=response.due_at, due_date=response.due_date
            )
    Response.objects.bulk_update([r for r in responses if r.due_date is not None], ["due_at"])
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
