"""Scheduling counseling sessions with a couple."""

import datetime as dt

from django.db import transaction

from clients.models import Couple
from therapy.models import CounselingSession, Counselor
from worksheets.models import Assignment, Response
from worksheets.occurrences import open_session_occurrences
from worksheets.reminders import plan_before_session
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
