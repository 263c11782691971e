import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worksheets.outbox import due_word
from worksheets.scheduling import (
    QuietHours,
    at_local_hour,
    before_quiet_hours,
    before_session_slot,
    in_quiet_hours,
    local_to_utc,
    outside_quiet_hours,
    reminder_slots,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = QuietHours(dt.time(21, 0), dt.time(8, 0))


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_a_time_skipped_by_spring_forward_moves_to_the_first_real_minute():
    # 2026-03-08 02:30 does not exist in New York: clocks jump from 02:00 EST to 03:00 EDT.
    moment = local_to_utc(dt.datetime(2026, 3, 8, 2, 30), NEW_YORK)
    assert moment == utc(2026, 3, 8, 7, 0)
    assert moment.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"


def test_a_time_repeated_at_fall_back_takes_the_first_occurrence():
    # 2026-11-01 01:30 happens twice in New York; the first is still EDT (UTC-4).
    assert local_to_utc(dt.datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_lord_howe_half_hour_gap_resolves_inside_the_same_hour():
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # On 2026-10-04 clocks go from 02:00 to 02:30; 02:10 does not exist.
    moment = local_to_utc(dt.datetime(2026, 10, 4, 2, 10), lord_howe)
    assert moment.astimezone(lord_howe).strftime("%H:%M") == "02:30"


def test_kathmandu_quarter_hour_offset_is_kept():
    assert at_local_hour(dt.date(2026, 6, 1), 18, ZoneInfo("Asia/Kathmandu")) == utc(
        2026, 6, 1, 12, 15
    )


def test_quiet_hours_across_midnight_cover_late_evening_and_early_morning():
    assert NIGHT.contains(dt.time(23, 0))
    assert NIGHT.contains(dt.time(7, 59))
    assert not NIGHT.contains(dt.time(8, 0))
    assert not NIGHT.contains(dt.time(20, 59))


def test_a_reminder_in_the_evening_quiet_hours_moves_to_next_morning():
    late_evening = local_to_utc(dt.datetime(2026, 5, 5, 22, 15), NEW_YORK)
    moved = outside_quiet_hours(late_evening, NEW_YORK, NIGHT)
    assert moved.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2026, 5, 6, 8, 0)


def test_a_reminder_after_midnight_moves_to_the_same_morning():
    small_hours = local_to_utc(dt.datetime(2026, 5, 6, 3, 0), NEW_YORK)
    moved = outside_quiet_hours(small_hours, NEW_YORK, NIGHT)
    assert moved.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2026, 5, 6, 8, 0)


def test_quiet_hours_end_exactly_at_the_boundary_minute():
    eight = local_to_utc(dt.datetime(2026, 5, 6, 8, 0), NEW_YORK)
    assert outside_quiet_hours(eight, NEW_YORK, NIGHT) == eight


@pytest.mark.parametrize("clock_time", [dt.time(0), dt.time(21)])
def test_equal_quiet_hour_start_and_end_mean_no_quiet_hours(clock_time):
    # A window of no length, not a whole day of silence.
    none = QuietHours(clock_time, clock_time)
    late = local_to_utc(dt.datetime(2026, 5, 5, 23, 30), NEW_YORK)
    assert not none.contains(clock_time) and not none.contains(dt.time(23, 30))
    assert not in_quiet_hours(late, NEW_YORK, none)
    assert outside_quiet_hours(late, NEW_YORK, none) == late
    assert before_quiet_hours(late, NEW_YORK, none) == late
    # Nothing moves: the due-day nudge for 02:00 goes four hours ahead, at 22:00.
    slots = reminder_slots(
        now=late - dt.timedelta(days=5),
        due_at=local_to_utc(dt.datetime(2026, 5, 8, 2, 0), NEW_YORK),
        zone=NEW_YORK,
        preferred_hour=0,
        quiet=none,
    )
    assert local_kinds(slots)["due_day"] == dt.datetime(2026, 5, 7, 22, 0)


def test_the_hour_repeated_at_fall_back_keeps_the_quiet_hours_it_interrupts():
    # 2026-11-01 in New York: 01:00-01:59 happens twice. The second 01:10 (EST) comes after the
    # first 01:30: quiet hours ending at 01:30 have ended, ones beginning at 01:30 have begun.
    second_ten_past_one = utc(2026, 11, 1, 6, 10)
    assert second_ten_past_one.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:10 EST"
    ended = QuietHours(dt.time(0), dt.time(1, 30))
    begun = QuietHours(dt.time(1, 30), dt.time(8))
    assert outside_quiet_hours(second_ten_past_one, NEW_YORK, ended) == second_ten_past_one
    assert outside_quiet_hours(second_ten_past_one, NEW_YORK, begun) == utc(2026, 11, 1, 13, 0)


def local_kinds(slots):
    return {slot.kind: slot.due_at.astimezone(NEW_YORK).replace(tzinfo=None) for slot in slots}


def in_quiet(moment, zone, quiet):
    """Whether an instant is in quiet hours. By its clock time, except in the hour repeated at
    fall-back (fold 1), which keeps the quiet hours it interrupts."""
    local = moment.astimezone(zone)
    quiet_by_clock = quiet.contains(local.time().replace(tzinfo=None))
    assert local.fold or quiet_by_clock == in_quiet_hours(moment, zone, quiet)
    return in_quiet_hours(moment, zone, quiet)


def test_the_default_plan_invites_now_then_nudges_at_the_preferred_hour():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = reminder_slots(now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT)
    # Two days before, on the due day and a day late: the cap of three nudges drops the
    # second overdue nudge.
    assert local_kinds(slots) == {
        "invitation": dt.datetime(2026, 5, 1, 10, 0),
        "before_due": dt.datetime(2026, 5, 6, 18, 0),
        "due_day": dt.datetime(2026, 5, 8, 18, 0),
        "overdue_first": dt.datetime(2026, 5, 9, 18, 0),
        "counselor_alert": dt.datetime(2026, 5, 10, 18, 0),
    }


def test_overdue_nudges_fill_in_when_earlier_nudges_are_already_past():
    now = local_to_utc(dt.datetime(2026, 5, 8, 19, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = reminder_slots(now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT)
    assert [slot.kind for slot in slots] == [
        "invitation",
        "overdue_first",
        "overdue_second",
        "counselor_alert",
    ]
    assert local_kinds(slots)["overdue_second"] == dt.datetime(2026, 5, 11, 18, 0)


def test_the_counselor_can_change_the_plan():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    plan = {"before_due_hours": 0, "overdue_days": [], "max_nudges": 1, "alert_after_hours": 2}
    slots = reminder_slots(
        now=now, due_at=due, zone=NEW_YORK, preferred_hour=9, quiet=NIGHT, plan=plan
    )
    assert local_kinds(slots) == {
        "invitation": dt.datetime(2026, 5, 1, 10, 0),
        "due_day": dt.datetime(2026, 5, 8, 9, 0),
        "counselor_alert": dt.datetime(2026, 5, 8, 11, 0),
    }


def test_never_more_nudges_than_the_plan_allows():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = reminder_slots(now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT)
    nudges = [s for s in slots if s.kind not in ("invitation", "counselor_alert")]
    assert len(nudges) == 3


def test_an_invitation_for_a_later_occurrence_waits_until_it_opens():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    opens = local_to_utc(dt.datetime(2026, 5, 1, 23, 59), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = reminder_slots(
        now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT, opens_at=opens
    )
    # It opens at midnight, inside quiet hours: the invitation goes at 08:00.
    assert local_kinds(slots)["invitation"] == dt.datetime(2026, 5, 2, 8, 0)


def test_the_before_session_nudge_comes_a_day_ahead_outside_quiet_hours():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    session = local_to_utc(dt.datetime(2026, 5, 5, 7, 30), NEW_YORK)
    slot = before_session_slot(now=now, session_starts_at=session, zone=NEW_YORK, quiet=NIGHT)
    assert local_kinds([slot]) == {"before_session": dt.datetime(2026, 5, 4, 8, 0)}
    too_late = before_session_slot(
        now=session - dt.timedelta(hours=3), session_starts_at=session, zone=NEW_YORK, quiet=NIGHT
    )
    assert too_late is None


def test_one_reminder_per_local_slot_across_the_new_york_fall_back_day():
    # 2026-11-01 has 25 hours in New York; the due-day nudge at 01:30 happens once (the first).
    now = local_to_utc(dt.datetime(2026, 10, 25, 12, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 11, 1, 23, 59), NEW_YORK)
    slots = reminder_slots(
        now=now,
        due_at=due,
        zone=NEW_YORK,
        preferred_hour=1,
        quiet=QuietHours(dt.time(0), dt.time(0)),
    )
    due_day = [s for s in slots if s.kind == "due_day"]
    assert [s.due_at for s in due_day] == [utc(2026, 11, 1, 5, 0)]


def test_a_nudge_on_the_spring_forward_day_lands_on_the_first_real_minute():
    now = local_to_utc(dt.datetime(2026, 3, 1, 12, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 3, 8, 23, 59), NEW_YORK)
    slots = reminder_slots(
        now=now,
        due_at=due,
        zone=NEW_YORK,
        preferred_hour=2,
        quiet=QuietHours(dt.time(0), dt.time(0)),
    )
    assert local_kinds(slots)["due_day"] == dt.datetime(2026, 3, 8, 3, 0)


zones = st.sampled_from(
    [
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "UTC",
        "Pacific/Chatham",
        "America/St_Johns",
    ]
)


@given(
    zone_name=zones,
    moment=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(UTC),
    ),
    start=st.times(),
    end=st.times(),
)
def test_a_moved_reminder_is_never_earlier_and_never_in_quiet_hours(zone_name, moment, start, end):
    zone = ZoneInfo(zone_name)
    quiet = QuietHours(start.replace(microsecond=0, second=0), end.replace(microsecond=0, second=0))
    moved = outside_quiet_hours(moment, zone, quiet)
    assert moved >= moment
    # At most a day of quiet hours; two nights' only if a spring-forward gap swallowed the free
    # time between them.
    dst_change = moment.astimezone(zone).utcoffset() != moved.astimezone(zone).utcoffset()
    assert moved - moment <= dt.timedelta(hours=27) or dst_change
    assert not in_quiet(moved, zone, quiet)


@given(
    zone_name=zones,
    day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31)),
    hour=st.integers(0, 23),
)
def test_each_local_slot_maps_to_one_instant_on_that_local_day(zone_name, day, hour):
    zone = ZoneInfo(zone_name)
    moment = at_local_hour(day, hour, zone)
    local = moment.astimezone(zone)
    assert local.date() == day
    # The slot's hour, or the first real minute after a gap (gaps are at most an hour).
    assert (
        dt.timedelta(0)
        <= local.replace(tzinfo=None) - dt.datetime.combine(day, dt.time(hour))
        <= dt.timedelta(hours=1)
    )


plans = st.fixed_dictionaries(
    {
        "before_due_hours": st.sampled_from([0, 24, 48, 72]),
        "due_day": st.booleans(),
        "overdue_days": st.sampled_from([[], [1], [1, 3], [2, 5]]),
        "max_nudges": st.integers(0, 4),
    }
)


@given(
    zone_name=zones,
    start=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 1),
        timezones=st.just(UTC),
    ),
    days=st.integers(0, 20),
    preferred_hour=st.integers(0, 23),
    quiet_start=st.integers(0, 23),
    quiet_end=st.integers(0, 23),
    plan=plans,
)
def test_every_plan_respects_quiet_hours_the_cap_and_the_order(
    zone_name, start, days, preferred_hour, quiet_start, quiet_end, plan
):
    zone = ZoneInfo(zone_name)
    quiet = QuietHours(dt.time(quiet_start), dt.time(quiet_end))
    due = start + dt.timedelta(days=days, hours=5)
    slots = reminder_slots(
        now=start, due_at=due, zone=zone, preferred_hour=preferred_hour, quiet=quiet, plan=plan
    )
    kinds = [slot.kind for slot in slots]
    assert kinds[0] == "invitation" and kinds[-1] == "counselor_alert"
    assert len(set(kinds)) == len(kinds)  # one row per rule
    nudges = slots[1:-1]
    assert len(nudges) <= plan["max_nudges"]
    times = [slot.due_at for slot in slots]
    assert times == sorted(times) and times[0] >= start
    for slot in slots[:-1]:  # the counselor's alert is not the partner's message
        assert not in_quiet(slot.due_at, zone, quiet)
    for slot in nudges:
        assert slot.kind.startswith("overdue") or slot.due_at < due
    # The due-day nudge is never earlier than the evening before (unless a spring-forward gap
    # swallowed that evening's free time, running two nights' quiet hours together).
    for slot in (slot for slot in nudges if slot.kind == "due_day"):
        local, local_due = slot.due_at.astimezone(zone), due.astimezone(zone)
        assert (
            local.date() >= local_due.date() - dt.timedelta(days=1)
            or local.utcoffset() != local_due.utcoffset()
        )


STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Due at the end of the day in New York: 05:59 the next morning in Stockholm.
NEW_YORK_EVENING_DUE = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)


def stockholm_slots(plan=None):
    """A Stockholm partner's reminders (preferred hour 18:00, quiet 21:00-08:00) for work
    due at the end of the day in New York."""
    return reminder_slots(
        now=local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK),
        due_at=NEW_YORK_EVENING_DUE,
        zone=STOCKHOLM,
        preferred_hour=18,
        quiet=QuietHours(dt.time(21), dt.time(8)),
        plan=plan,
    )


def test_an_early_morning_deadline_gets_its_due_day_nudge_the_evening_before():
    # The due time falls in the partner's quiet hours. The nudge cannot come on the day; it
    # comes the evening before at the preferred hour, not after the work is due.
    local = {
        slot.kind: slot.due_at.astimezone(STOCKHOLM).replace(tzinfo=None)
        for slot in stockholm_slots()
    }
    assert local["before_due"] == dt.datetime(2026, 5, 7, 18, 0)
    assert local["due_day"] == dt.datetime(2026, 5, 8, 18, 0)
    due = NEW_YORK_EVENING_DUE.astimezone(STOCKHOLM).replace(tzinfo=None)
    assert due == dt.datetime(2026, 5, 9, 5, 59)


def test_two_rules_on_one_moment_send_one_message():
    slots = stockholm_slots(plan={"before_due_hours": 24})
    times = [slot.due_at for slot in slots]
    assert len(times) == len(set(times))
    assert [slot.kind for slot in slots][:2] == ["invitation", "before_due"]


def early_morning_due_day(zone, due_local):
    """The due-day nudge for work due at `due_local` (preferred hour 0, quiet 21:00-08:00),
    in local time, with the words its message uses for when the work is due."""
    due = local_to_utc(due_local, zone)
    slots = reminder_slots(
        now=due - dt.timedelta(days=6), due_at=due, zone=zone, preferred_hour=0, quiet=NIGHT
    )
    [nudge] = [slot.due_at for slot in slots if slot.kind == "due_day"]
    return nudge.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z"), due_word(due, nudge, zone)


def test_an_early_morning_deadline_with_preferred_hour_0_is_nudged_one_evening_before():
    # The issue: due Friday 02:00, preferred hour 0, quiet 21:00-08:00. Midnight is inside the
    # quiet hours, so the nudge goes just before they begin the evening before (Thursday), not
    # the evening before that (Wednesday 20:59, "due on Friday").
    assert early_morning_due_day(NEW_YORK, dt.datetime(2026, 5, 8, 2, 0)) == (
        "Thu 2026-05-07 20:59 EDT",
        "tomorrow",
    )


def test_an_early_morning_deadline_on_the_santiago_fall_back_weekend():
    # 2026-04-05 00:00 in Santiago the clocks go back to Saturday 23:00 (-03 to -04).
    santiago = ZoneInfo("America/Santiago")
    assert early_morning_due_day(santiago, dt.datetime(2026, 4, 5, 2, 0)) == (
        "Sat 2026-04-04 20:59 -03",
        "tomorrow",
    )


def test_an_early_morning_deadline_on_the_havana_fall_back_weekend():
    # 2026-11-01 01:00 in Havana the clocks go back to 00:00 (CDT to CST).
    havana = ZoneInfo("America/Havana")
    assert early_morning_due_day(havana, dt.datetime(2026, 11, 1, 2, 0)) == (
        "Sat 2026-10-31 20:59 CDT",
        "tomorrow",
    )


def test_an_early_morning_session_is_nudged_the_evening_before_quiet_hours():
    # Four hours before a 07:30 session is 03:30, in quiet hours that end after the session:
    # the nudge goes just before they begin the evening before.
    session = local_to_utc(dt.datetime(2026, 5, 5, 7, 30), NEW_YORK)
    plan = {"before_session_hours": 4}
    slot = before_session_slot(
        now=session - dt.timedelta(days=2),
        session_starts_at=session,
        zone=NEW_YORK,
        quiet=NIGHT,
        plan=plan,
    )
    assert local_kinds([slot]) == {"before_session": dt.datetime(2026, 5, 4, 20, 59)}
    # Planned once that evening has passed, there is no time left for it.
    late = local_to_utc(dt.datetime(2026, 5, 4, 22, 0), NEW_YORK)
    assert (
        before_session_slot(
            now=late, session_starts_at=session, zone=NEW_YORK, quiet=NIGHT, plan=plan
        )
        is None
    )
