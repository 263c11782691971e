"""Recurring assignments and counseling sessions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from therapy.sessions import SessionError, schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder, Response
from worksheets.occurrences import create_upcoming_occurrences
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")
START = local_to_utc(dt.datetime(2026, 10, 19, 14, 0), NEW_YORK)
FIRST_DUE = local_to_utc(dt.datetime(2026, 10, 25, 23, 59), NEW_YORK)


@pytest.fixture
def weekly(couple, checkin, maya):
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=FIRST_DUE,
        assigned_by=maya,
        now=START,
        recurrence="every_n_days",
        interval_days=7,
        max_occurrences=3,
    )


def occurrences(assignment):
    return sorted(set(assignment.responses.values_list("occurrence", "due_at")))


def test_the_next_week_opens_a_day_before_this_week_is_due(weekly):
    assert create_upcoming_occurrences(now=FIRST_DUE - dt.timedelta(days=2)) == 0
    assert create_upcoming_occurrences(now=FIRST_DUE - dt.timedelta(hours=20)) == 2
    second_due = occurrences(weekly)[1][1]
    # Same local time a week later, across the end of summer time on 1 November.
    assert second_due.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2026, 11, 1, 23, 59)
    invitation = Reminder.objects.get(
        kind="invitation", response__occurrence=2, response__partner__display_name="Sam"
    )
    # Its invitation goes when the first week closes, moved out of quiet hours to 08:00.
    assert invitation.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 10, 26, 8, 0
    )


def test_running_the_daily_job_twice_opens_nothing_more(weekly):
    moment = FIRST_DUE - dt.timedelta(hours=20)
    create_upcoming_occurrences(now=moment)
    assert create_upcoming_occurrences(now=moment) == 0
    assert Response.objects.filter(assignment=weekly).count() == 4


def test_a_recurring_assignment_stops_after_its_last_occurrence(weekly):
    moment = FIRST_DUE
    for _ in range(6):
        create_upcoming_occurrences(now=moment - dt.timedelta(hours=1))
        moment += dt.timedelta(days=7)
    assert [number for number, _ in occurrences(weekly)] == [1, 2, 3]


def test_a_recurring_assignment_stops_at_its_end_date(couple, checkin, maya):
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=FIRST_DUE,
        assigned_by=maya,
        now=START,
        recurrence="every_n_days",
        interval_days=3,
        repeat_until=FIRST_DUE + dt.timedelta(days=7),
    )
    moment = FIRST_DUE
    for _ in range(6):
        create_upcoming_occurrences(now=moment - dt.timedelta(hours=1))
        moment += dt.timedelta(days=3)
    assert [number for number, _ in occurrences(assignment)] == [1, 2, 3]


def test_after_an_outage_missed_occurrences_are_skipped_not_sent_late(weekly):
    weekly.max_occurrences = None
    weekly.save()
    assert create_upcoming_occurrences(now=FIRST_DUE + dt.timedelta(days=16)) == 2
    assert [number for number, _ in occurrences(weekly)] == [1, 4]


def test_a_session_opens_the_before_every_session_worksheet(couple, checkin, maya):
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=FIRST_DUE,
        assigned_by=maya,
        now=START,
        recurrence="before_session",
    )
    session_start = local_to_utc(dt.datetime(2026, 10, 29, 17, 0), NEW_YORK)
    session = schedule_session(
        couple=couple, counselor=maya, starts_at=session_start, now=START + dt.timedelta(days=7)
    )
    responses = Response.objects.filter(assignment=assignment, session=session)
    assert responses.count() == 2
    assert {r.due_at for r in responses} == {session_start - dt.timedelta(hours=2)}
    assert {r.occurrence for r in responses} == {2}


def test_a_session_adds_a_before_session_nudge_to_open_work(couple, checkin, maya, partner_a):
    assign_worksheet(couple=couple, template=checkin, due_at=FIRST_DUE, assigned_by=maya, now=START)
    session_start = local_to_utc(dt.datetime(2026, 10, 23, 9, 0), NEW_YORK)
    schedule_session(couple=couple, counselor=maya, starts_at=session_start, now=START)
    nudge = Reminder.objects.get(response__partner=partner_a, kind="before_session")
    assert nudge.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2026, 10, 22, 9, 0)


def test_a_session_in_the_past_is_refused(couple, maya):
    with pytest.raises(SessionError):
        schedule_session(couple=couple, counselor=maya, starts_at=START, now=START)
