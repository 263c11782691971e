import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from worksheets.scheduling import (
    QuietHours,
    at_local_hour,
    default_reminder_slots,
    local_to_utc,
    outside_quiet_hours,
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


def test_default_plan_invites_now_and_nudges_before_and_on_the_due_day():
    now = local_to_utc(dt.datetime(2026, 5, 1, 10, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = default_reminder_slots(
        now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT
    )
    local = {slot.kind: slot.due_at.astimezone(NEW_YORK).replace(tzinfo=None) for slot in slots}
    assert local == {
        "invitation": dt.datetime(2026, 5, 1, 10, 0),
        "before_due": dt.datetime(2026, 5, 6, 18, 0),
        "due_day": dt.datetime(2026, 5, 8, 18, 0),
    }


def test_nudges_already_past_are_left_out():
    now = local_to_utc(dt.datetime(2026, 5, 8, 19, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
    slots = default_reminder_slots(
        now=now, due_at=due, zone=NEW_YORK, preferred_hour=18, quiet=NIGHT
    )
    assert [slot.kind for slot in slots] == ["invitation"]


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
    assert moved - moment <= dt.timedelta(hours=27)
    assert not quiet.contains(moved.astimezone(zone).time().replace(tzinfo=None))


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
