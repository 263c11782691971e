"""Recurring assignments: opening each occurrence ahead of time, with its reminders."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

from clients.models import Couple
from therapy.models import CounselingSession
from worksheets.models import Assignment, Response
from worksheets.reminders import plan_reminders
from worksheets.scheduling import local_to_utc

# The next occurrence opens this long before the current one is due, so its invitation can
# go out at the moment the current one closes.
LOOKAHEAD = dt.timedelta(days=1)
# A "before every session" worksheet is due this long before the session starts.
DUE_BEFORE_SESSION = dt.timedelta(hours=2)


def next_due(assignment: Assignment, previous_due: dt.datetime) -> dt.datetime:
    """The same wall-clock time `interval_days` later in the practice's zone, across DST."""
    zone = ZoneInfo(assignment.couple.practice.time_zone)
    local = previous_due.astimezone(zone).replace(tzinfo=None)
    return local_to_utc(local + dt.timedelta(days=assignment.interval_days), zone)


def within_limits(assignment: Assignment, occurrence: int, due_at: dt.datetime) -> bool:
    if assignment.max_occurrences and occurrence > assignment.max_occurrences:
        return False
    return not (assignment.repeat_until and due_at > assignment.repeat_until)


@transaction.atomic
def open_occurrence(
    *,
    assignment: Assignment,
    occurrence: int,
    due_at: dt.datetime,
    opens_at: dt.datetime,
    now: dt.datetime,
    session: CounselingSession | None = None,
) -> int:
    """One response per current partner, each with its reminders. Opening twice is a no-op."""
    created = 0
    for partner in assignment.partners_to_ask():
        response, is_new = Response.objects.get_or_create(
            assignment=assignment,
            partner=partner,
            occurrence=occurrence,
            defaults={"due_at": due_at, "session": session},
        )
        if is_new:
            plan_reminders(response=response, now=now, opens_at=opens_at)
            created += 1
    return created


def _latest(assignment: Assignment) -> tuple[int, dt.datetime]:
    latest = assignment.responses.aggregate(occurrence=Max("occurrence"), due_at=Max("due_at"))
    return latest["occurrence"] or 0, latest["due_at"] or assignment.due_at


def open_next_periodic(assignment: Assignment, *, now: dt.datetime) -> int:
    occurrence, due_at = _latest(assignment)
    if due_at > now + LOOKAHEAD:
        return 0
    opens_at, due_at, occurrence = due_at, next_due(assignment, due_at), occurrence + 1
    # After an outage, skip the occurrences whose time has passed rather than send them late.
    while due_at <= now:
        opens_at, due_at, occurrence = due_at, next_due(assignment, due_at), occurrence + 1
    if not within_limits(assignment, occurrence, due_at):
        return 0
    return open_occurrence(
        assignment=assignment, occurrence=occurrence, due_at=due_at, opens_at=opens_at, now=now
    )


def open_session_occurrences(*, session: CounselingSession, now: dt.datetime) -> int:
    """For each "before every session" assignment of the couple, the occurrence for `session`."""
    created = 0
    assignments = Assignment.objects.filter(
        couple=session.couple,
        status=Assignment.Status.ACTIVE,
        recurrence=Assignment.Recurrence.BEFORE_SESSION,
    ).select_related("couple")
    due_at = session.starts_at - DUE_BEFORE_SESSION
    for assignment in assignments:
        if due_at <= now or assignment.responses.filter(session=session).exists():
            continue
        occurrence = _latest(assignment)[0] + 1
        if within_limits(assignment, occurrence, due_at):
            created += open_occurrence(
                assignment=assignment,
                occurrence=occurrence,
                due_at=due_at,
                opens_at=now,
                now=now,
                session=session,
            )
    return created


def create_upcoming_occurrences(*, now: dt.datetime) -> int:
    """The daily job: open every recurring assignment's next occurrence that is coming up."""
    created = 0
    periodic = Assignment.objects.filter(
        status=Assignment.Status.ACTIVE,
        recurrence=Assignment.Recurrence.EVERY_N_DAYS,
        couple__status=Couple.Status.ACTIVE,
    ).select_related("couple__practice")
    for assignment in periodic:
        created += open_next_periodic(assignment, now=now)
    upcoming = CounselingSession.objects.filter(
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=14),
        couple__status=Couple.Status.ACTIVE,
    ).select_related("couple")
    for session in upcoming:
        created += open_session_occurrences(session=session, now=now)
    return created
