"""Work due by a date is due by the end of that date on each partner's own clock.

The property, in several zones and on DST-change dates: the deadline a partner is told falls on
the date the counselor chose, in their zone, and is the very instant that overdue, the reminder
plan and the next repeat read. Work due at an instant stays that instant, told in local time.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import portal_sign_in
from worksheets.assignments import AssignmentError, assign_worksheet
from worksheets.models import Reminder, Response
from worksheets.occurrences import create_upcoming_occurrences
from worksheets.outbox import compose, quiet_hours_of
from worksheets.reminders import reschedule_partner
from worksheets.scheduling import end_of_local_day, local_to_utc, reminder_slots

MOMENT = dt.timedelta(microseconds=1)
ZONES = [
    "Europe/Berlin",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "America/Santiago",  # its clocks change at midnight
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
]
# Ordinary days, and days on which a partner's clocks change.
DATES = [
    dt.date(2026, 12, 6),
    dt.date(2026, 10, 25),  # Berlin falls back
    dt.date(2027, 3, 28),  # Berlin springs forward
    dt.date(2026, 9, 27),  # Auckland springs forward
    dt.date(2027, 4, 4),  # Auckland falls back
    dt.date(2026, 11, 1),  # Los Angeles falls back (and New York, the practice's zone)
    dt.date(2027, 3, 14),  # Los Angeles springs forward
    dt.date(2026, 9, 5),  # Santiago's midnight at the end of this day is skipped
]


def told_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_the_end_of_a_date_is_its_last_instant_on_the_partners_clock(zone, day):
    end = end_of_local_day(day, ZoneInfo(zone))
    assert end.astimezone(ZoneInfo(zone)).date() == day
    assert (end + MOMENT).astimezone(ZoneInfo(zone)).date() == day + dt.timedelta(days=1)


def _assign_by_date(couple, template, maya, day, **details):
    return assign_worksheet(
        couple=couple,
        template=template,
        due_date=day,
        assigned_by=maya,
        now=end_of_local_day(day, ZoneInfo("Pacific/Kiritimati")) - dt.timedelta(days=6),
        **details,
    )


@pytest.mark.parametrize("day", DATES)
@pytest.mark.parametrize("zone", ZONES)
def test_the_deadline_a_partner_is_told_is_the_one_overdue_and_reminders_use(
    couple, checkin, maya, partner_a, partner_b, zone, day, client
):
    partner_a.time_zone = zone
    partner_a.save()
    assignment = _assign_by_date(couple, checkin, maya, day)
    response = assignment.responses.select_related("partner").get(partner=partner_a)
    local = ZoneInfo(zone)

    # Told: by the end of the chosen date, which is where the stored deadline falls.
    assert response.deadline_words() == f"by the end of {told_date(day)}"
    assert response.due_at.astimezone(local).date() == day
    assert (response.due_at + MOMENT).astimezone(local).date() > day

    # Overdue: not a moment before the partner's day ends, from the moment after.
    assert not response.is_overdue(response.due_at)
    assert response.is_overdue(response.due_at + MOMENT)
    assert not Response.objects.overdue(response.due_at).filter(pk=response.pk).exists()
    assert Response.objects.overdue(response.due_at + MOMENT).filter(pk=response.pk).exists()

    # Reminders: planned from that same instant, the ones about the due date expire with it.
    planned = Reminder.objects.filter(response=response)
    expected = reminder_slots(
        now=assignment.created_at,
        due_at=response.due_at,
        zone=local,
        preferred_hour=partner_a.preferred_hour,
        quiet=quiet_hours_of(partner_a),
        plan=assignment.reminder_plan,
    )
    assert {(r.kind, r.due_at) for r in planned} == {(s.kind, s.due_at) for s in expected}
    for reminder in planned.filter(kind__in=["before_due", "due_day"]):
        assert reminder.expires_at == response.due_at
        assert reminder.due_at < response.due_at

    # The other partner, in Los Angeles, has the same date on their own clock.
    other = assignment.responses.select_related("partner").get(partner=partner_b)
    assert other.due_date == day
    assert other.due_at == end_of_local_day(day, ZoneInfo(partner_b.time_zone))

    # What the portal and the messages say.
    with time_machine.travel(assignment.created_at, tick=False):
        portal_sign_in(client, partner_a)
        home = client.get("/portal/").content.decode()
        page = client.get(f"/portal/worksheets/{response.pk}/").content.decode()
    assert f"Due by the end of {told_date(day)}." in home
    assert f"Due by the end of {told_date(day)}." in page
    with time_machine.travel(response.due_at + MOMENT, tick=False):
        portal_sign_in(client, partner_a)
        late = client.get(f"/portal/worksheets/{response.pk}/").content.decode()
        late_home = client.get("/portal/").content.decode()
    assert f"Was due by the end of {told_date(day)}." in late
    assert f"Was due by the end of {told_date(day)}." in late_home
    nudge = planned.get(kind="invitation")
    body = compose(nudge, now=assignment.created_at, token="t").body
    assert f"It is due by the end of {told_date(day)}." in body


@pytest.mark.parametrize("zone", ZONES)
def test_work_due_at_an_instant_is_told_as_that_instant_on_the_partners_clock(
    couple, checkin, maya, partner_a, zone
):
    partner_a.time_zone = zone
    partner_a.save()
    due = dt.datetime(2026, 12, 6, 19, 0, tzinfo=dt.UTC)
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=due,
        assigned_by=maya,
        now=due - dt.timedelta(days=3),
    )
    response = assignment.responses.select_related("partner").get(partner=partner_a)
    local = due.astimezone(ZoneInfo(zone))
    assert response.due_at == due
    assert response.deadline_words() == f"{told_date(local.date())}, {local:%H:%M} your time"
    assert response.is_overdue(due + MOMENT) and not response.is_overdue(due)


def test_a_berlin_partner_of_a_new_york_practice_is_told_the_end_of_their_own_sunday(
    couple, checkin, maya, partner_a, partner_b
):
    partner_a.time_zone = "Europe/Berlin"
    partner_a.save()
    assignment = _assign_by_date(couple, checkin, maya, dt.date(2026, 12, 6))
    berlin = assignment.responses.select_related("partner").get(partner=partner_a)
    assert berlin.deadline_words() == "by the end of Sunday 6 December"
    assert f"{berlin.due_local:%a %d %H:%M:%S}" == "Sun 06 23:59:59"
    # Not the end of the practice's Sunday, which is Monday 05:59 in Berlin.
    assert berlin.due_at < assignment.due_at


def test_a_date_already_over_for_a_partner_cannot_be_chosen(couple, checkin, maya, partner_a):
    partner_a.time_zone = "Pacific/Auckland"
    partner_a.save()
    # 20:00 on Sunday in New York is already Monday afternoon in Auckland.
    now = local_to_utc(dt.datetime(2026, 12, 6, 20, 0), ZoneInfo("America/New_York"))
    with pytest.raises(AssignmentError, match="6 December has already ended for Sam"):
        assign_worksheet(
            couple=couple,
            template=checkin,
            due_date=dt.date(2026, 12, 6),
            assigned_by=maya,
            now=now,
        )
    assert not Response.objects.exists()


def test_a_partner_who_moves_zone_stays_due_by_the_end_of_the_same_date(
    couple, checkin, maya, partner_a
):
    partner_a.time_zone = "Europe/Berlin"
    partner_a.save()
    assignment = _assign_by_date(couple, checkin, maya, dt.date(2026, 12, 6))
    partner_a.time_zone = "Asia/Kolkata"
    partner_a.save()
    reschedule_partner(partner=partner_a, now=assignment.created_at)
    response = assignment.responses.select_related("partner").get(partner=partner_a)
    assert response.due_at == end_of_local_day(dt.date(2026, 12, 6), ZoneInfo("Asia/Kolkata"))
    assert response.deadline_words() == "by the end of Sunday 6 December"
    due_day = Reminder.objects.get(response=response, kind="due_day")
    assert due_day.expires_at == response.due_at


@pytest.mark.parametrize(
    ("first", "zones"),
    [
        (dt.date(2026, 12, 6), ("Pacific/Auckland", "America/Los_Angeles")),
        # The week of Auckland's spring forward, and Berlin's fall back, each to a later date.
        (dt.date(2026, 9, 20), ("Pacific/Auckland", "Asia/Kolkata")),
        (dt.date(2026, 10, 18), ("Europe/Berlin", "America/Los_Angeles")),
    ],
)
def test_each_repeat_is_due_by_the_end_of_the_same_later_date_for_both_partners(
    couple, checkin, maya, partner_a, partner_b, first, zones
):
    for partner, zone in zip((partner_a, partner_b), zones, strict=True):
        partner.time_zone = zone
        partner.save()
    assignment = _assign_by_date(
        couple, checkin, maya, first, recurrence="every_n_days", interval_days=7, max_occurrences=3
    )
    # The daily job runs every hour of three weeks, as often as it likes.
    moment = assignment.created_at
    while moment < assignment.created_at + dt.timedelta(days=21):
        create_upcoming_occurrences(now=moment)
        moment += dt.timedelta(hours=1)
    responses = Response.objects.filter(assignment=assignment).select_related("partner")
    assert sorted({(r.occurrence, r.due_date) for r in responses}) == [
        (n + 1, first + dt.timedelta(days=7 * n)) for n in range(3)
    ]
    for response in responses:
        zone = ZoneInfo(response.partner.time_zone)
        assert response.due_at == end_of_local_day(response.due_date, zone)
        assert response.deadline_words() == f"by the end of {told_date(response.due_date)}"
        if response.occurrence > 1:
            # Each partner is invited when their own previous week ends, not before.
            invitation = Reminder.objects.get(response=response, kind="invitation")
            previous = response.due_date - dt.timedelta(days=7)
            assert invitation.due_at > end_of_local_day(previous, zone)


def test_a_repeat_until_a_date_includes_that_date_for_a_partner_behind_the_practice(
    couple, checkin, maya, partner_a, partner_b
):
    for partner in (partner_a, partner_b):
        partner.time_zone = "America/Los_Angeles"
        partner.save()
    first = dt.date(2026, 12, 6)
    last = first + dt.timedelta(days=14)
    assignment = _assign_by_date(
        couple,
        checkin,
        maya,
        first,
        recurrence="every_n_days",
        interval_days=7,
        # As the assign page keeps it: the end of the last day in the practice's zone, which
        # is 20:59 on that day in Los Angeles.
        repeat_until=end_of_local_day(last, ZoneInfo("America/New_York")),
    )
    moment = assignment.created_at
    while moment < assignment.created_at + dt.timedelta(days=35):
        create_upcoming_occurrences(now=moment)
        moment += dt.timedelta(hours=6)
    dates = sorted(set(assignment.responses.values_list("due_date", flat=True)))
    assert dates == [first, first + dt.timedelta(days=7), last]


def test_after_an_outage_a_date_already_over_for_either_partner_is_skipped(
    couple, checkin, maya, partner_a, partner_b
):
    partner_a.time_zone = "Pacific/Auckland"
    partner_a.save()
    first = dt.date(2026, 12, 6)
    assignment = _assign_by_date(
        couple, checkin, maya, first, recurrence="every_n_days", interval_days=7
    )
    # The job next runs when 13 December is over in Auckland but not yet in New York.
    later = end_of_local_day(first + dt.timedelta(days=7), ZoneInfo("Pacific/Auckland"))
    create_upcoming_occurrences(now=later + dt.timedelta(hours=1))
    opened = assignment.responses.filter(occurrence__gt=1)
    assert {(r.occurrence, r.due_date) for r in opened} == {(3, first + dt.timedelta(days=14))}
    assert opened.count() == 2
