"""Scheduling counseling sessions with a couple: booking, moving and calling one off."""

import datetime as dt

from django.db import transaction

from clients.models import Couple
from therapy.models import CounselingSession, Counselor
from worksheets.models import Assignment, Reminder, Response
from worksheets.occurrences import DUE_BEFORE_SESSION, open_session_occurrences
from worksheets.reminders import (
    PARTNER_KINDS,
    plan_before_session,
    plan_reminders,
    upcoming_session,
)
from worksheets.tasks import request_sweep


class SessionError(ValueError):
    pass


@transaction.atomic
def schedule_session(
    *, couple: Couple, counselor: Counselor, starts_at: dt.datetime, now: dt.datetime
) -> CounselingSession:
    """Book a session; worksheets still open then get a "before your session" nudge, and
    "before every session" assignments open their occurrence for it."""
    if starts_at <= now:
        raise SessionError("The session must be in the future.")
    session = CounselingSession.objects.create(
        couple=couple, counselor=counselor, starts_at=starts_at
    )
    open_session_occurrences(session=session, now=now)
    still_open = Response.objects.filter(
        assignment__couple=couple,
        assignment__status=Assignment.Status.ACTIVE,
        status__in=[Response.Status.NOT_STARTED, Response.Status.DRAFT],
    ).select_related("assignment", "partner")
    for response in still_open:
        plan_before_session(response=response, session_starts_at=starts_at, now=now)
    request_sweep()
    return session


@transaction.atomic
def move_session(
    *, session: CounselingSession, starts_at: dt.datetime, now: dt.datetime
) -> CounselingSession:
    """A session at a new time. The "before your session" nudges follow: they are planned
    again for the couple's next session, as when one is booked, and the work opened for this
    session (a "before every session" worksheet) is due before its new time, its reminders
    planned again. What was sent stays sent."""
    if session.starts_at <= now:
        raise SessionError("A session that has begun cannot be moved.")
    if starts_at <= now:
        raise SessionError("The session must be in the future.")
    session.starts_at = starts_at
    session.save(update_fields=["starts_at"])
    for response in (
        Response.objects.open().filter(session=session).select_related("assignment", "partner")
    ):
        response.due_at = starts_at - DUE_BEFORE_SESSION
        response.save(update_fields=["due_at"])
        Reminder.objects.filter(
            response=response, kind__in=PARTNER_KINDS, status=Reminder.Status.PENDING
        ).delete()
        plan_reminders(response=response, now=now)
    _plan_before_next_session(couple=session.couple, now=now)
    request_sweep()
    return session


@transaction.atomic
def cancel_session(*, session: CounselingSession, now: dt.datetime) -> None:
    """Call a session off: it is deleted (its change history keeps it), and the "before your
    session" nudges are planned for the couple's next session instead, or dropped."""
    if session.starts_at <= now:
        raise SessionError("A session that has begun cannot be cancelled.")
    couple = session.couple
    session.delete()
    _plan_before_next_session(couple=couple, now=now)


def _plan_before_next_session(*, couple: Couple, now: dt.datetime) -> None:
    """Drop the pending "before your session" nudges of the couple's open work, and plan them
    for the next session, if there is one: a nudge never points at a session that moved."""
    still_open = Response.objects.open().filter(
        assignment__couple=couple, assignment__status=Assignment.Status.ACTIVE
    )
    Reminder.objects.filter(
        response__in=still_open,
        kind=Reminder.Kind.BEFORE_SESSION,
        status=Reminder.Status.PENDING,
    ).delete()
    next_session = upcoming_session(couple_id=couple.pk, now=now)
    if next_session is None:
        return
    for response in still_open.select_related("assignment", "partner"):
        plan_before_session(response=response, session_starts_at=next_session.starts_at, now=now)
