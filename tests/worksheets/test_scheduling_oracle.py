"""Every reminder rule checked against an independent oracle, in every time zone.

The oracle walks UTC minutes, asks zoneinfo what the partner's clock shows at each one, and
picks the first (or last) minute that satisfies each rule as written in its docstring. It uses
nothing from worksheets.scheduling but the two functions under test, `reminder_slots` and
`before_session_slot`, the `QuietHours` they take and the `DUE_DAY_LEAD` constant.

The rules, in clock terms (the docstrings in worksheets/scheduling.py say the same in words):

- A local time is "reached" at the first minute the clock shows it or a later time: a time
  skipped by spring-forward is reached at the first real minute after the gap, a time repeated
  at fall-back at its first showing.
- Quiet hours run from the minute the clock reaches `start` to the minute it reaches `end`.
  While the clock repeats an hour after going back, it has already reached everything it
  shows, so the quiet hours are as they were just before the clocks went back. Equal start and
  end: no quiet hours.
- Due-day and before-due nudges for local day D: the target is when the clock reaches the
  preferred hour on D, or `due_at - DUE_DAY_LEAD` if that is earlier. The nudge goes at the
  first minute from the target that is not quiet; if that is at or after the due time, it goes
  instead in the free stretch just before those quiet hours: at the latest minute of that
  stretch at which the clock reaches the preferred hour, else at the stretch's last minute.
- Overdue nudges: the first minute that is not quiet from when the clock reaches the preferred
  hour on their day. The invitation: the first minute that is not quiet from when it opens.
- The before-session nudge: the first minute that is not quiet from `hours` before the
  session; if that is at or after the session, the last minute before those quiet hours began;
  none if that is not after now.

Searching every minute of two years in ~600 zones would take hours, so each search starts
where its rule starts and walks only as far as it must (at most a day or so). Finding when the
clock first reaches a time uses bisection, which is exact because "the latest time the clock
has shown" never decreases (checked below).
"""

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worksheets.scheduling import DUE_DAY_LEAD, QuietHours, before_session_slot, reminder_slots

UTC = dt.UTC
DAY = 24 * 60  # minutes
LEAD = int(DUE_DAY_LEAD.total_seconds()) // 60
SPAN_START = dt.datetime(2026, 1, 1, tzinfo=UTC)
SPAN_END = dt.datetime(2028, 1, 1, tzinfo=UTC)
# Ordinary days checked in every zone, with or without DST.
ORDINARY_DAYS = (dt.datetime(2026, 2, 11, 12, tzinfo=UTC), dt.datetime(2027, 7, 21, 12, tzinfo=UTC))
ALL_ZONES = sorted(zoneinfo.available_timezones())
OVERDUE_KINDS = ("overdue_first", "overdue_second")
# A rule whose search runs further than this has found a bug in the oracle or the inputs.
SEARCH_LIMIT = 3 * DAY


def minute_of(moment: dt.datetime) -> int:
    """A UTC instant as whole minutes since the Unix epoch."""
    seconds = moment.timestamp()
    assert seconds % 60 == 0, f"{moment} is not on a whole minute"
    return int(seconds) // 60


def instant(minute: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(minute * 60, UTC)


class Clock:
    """A zone's wall clock at each UTC minute, as local minutes since 1970-01-01 00:00."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self._readings: dict[int, int] = {}

    def shows(self, minute: int) -> tuple[int, int]:
        """What the clock shows, and zoneinfo's fold (1: a time shown for the second time)."""
        local = dt.datetime.fromtimestamp(minute * 60, self.zone)
        offset = local.utcoffset()
        return minute + offset.days * DAY + offset.seconds // 60, local.fold

    def reading(self, minute: int) -> int:
        """The latest time the clock has shown by `minute`: what it shows, except in the hour
        repeated after the clocks go back, when it is the last time shown before they did."""
        cached = self._readings.get(minute)
        if cached is None:
            earlier = minute
            shown, fold = self.shows(earlier)
            while fold:
                earlier -= 1
                shown, fold = self.shows(earlier)
            cached = self._readings[minute] = shown
        return cached

    def reaches(self, local_minute: int) -> int:
        """The first minute at which the clock has reached `local_minute`."""
        # Python keeps UTC offsets within a day, so the clock has not reached it a day before
        # (in UTC) and has a day after; readings never decrease, so bisection finds the first.
        low, high = local_minute - DAY, local_minute + DAY
        assert self.reading(low) < local_minute <= self.reading(high)
        while high - low > 1:
            middle = (low + high) // 2
            if self.reading(middle) >= local_minute:
                high = middle
            else:
                low = middle
        return high

    def local_day(self, minute: int) -> int:
        """The local date (days since 1970-01-01) the clock shows at `minute`."""
        return self.shows(minute)[0] // DAY


def quiet_clock_times(start: int, end: int) -> bytes:
    """For each minute after local midnight, 1 if it is a quiet-hours clock time."""
    if start == end:
        return bytes(DAY)  # a window of no length: no quiet hours
    if start < end:
        return bytes(start <= minute < end for minute in range(DAY))
    return bytes(minute >= start or minute < end for minute in range(DAY))


@dataclass(frozen=True)
class Partner:
    clock: Clock
    preferred_hour: int
    quiet_start: int  # minutes after local midnight
    quiet_end: int

    @functools.cached_property
    def quiet_times(self) -> bytes:
        return quiet_clock_times(self.quiet_start, self.quiet_end)

    def is_quiet(self, minute: int) -> bool:
        return bool(self.quiet_times[self.clock.reading(minute) % DAY])

    def preferred_on(self, local_day: int) -> int:
        return self.clock.reaches(local_day * DAY + self.preferred_hour * 60)

    def passes_preferred_hour(self, minute: int) -> bool:
        """Whether the clock reaches the preferred hour (of any day) at `minute`."""
        before, now = self.clock.reading(minute - 1), self.clock.reading(minute)
        target = self.preferred_hour * 60
        next_preferred = before + 1 + (target - before - 1) % DAY
        return next_preferred <= now

    def first_free_from(self, minute: int) -> int:
        quiet, reading = self.quiet_times, self.clock.reading
        for step in range(SEARCH_LIMIT):
            if not quiet[reading(minute + step) % DAY]:
                return minute + step
        raise AssertionError(f"no free minute within three days of {instant(minute)}")

    def last_free_before(self, minute: int) -> int:
        quiet, reading = self.quiet_times, self.clock.reading
        for step in range(1, SEARCH_LIMIT):
            if not quiet[reading(minute - step) % DAY]:
                return minute - step
        raise AssertionError(f"no free minute within three days before {instant(minute)}")

    def evening_before(self, target: int) -> int:
        """The slot in the free stretch just before the quiet hours around `target`."""
        last_free = self.last_free_before(target)
        for step in range(SEARCH_LIMIT):
            minute = last_free - step
            if self.is_quiet(minute):
                return last_free
            if self.passes_preferred_hour(minute):
                return minute
        raise AssertionError(f"a free stretch of three days before {instant(target)}")


def oracle_nudge(partner: Partner, day: int, due: int) -> int:
    target = min(partner.preferred_on(day), due - LEAD)
    moved = partner.first_free_from(target)
    return moved if moved < due else partner.evening_before(target)


def oracle_slots(partner, *, now, due, plan, opens_at) -> list[tuple[str, int]]:
    clock = partner.clock
    invitation = partner.first_free_from(max(now, opens_at if opens_at is not None else now))
    due_day = clock.local_day(due)
    candidates = []
    if plan["before_due_hours"]:
        day = clock.local_day(due - plan["before_due_hours"] * 60)
        candidates.append(("before_due", oracle_nudge(partner, day, due)))
    if plan["due_day"]:
        candidates.append(("due_day", oracle_nudge(partner, due_day, due)))
    for kind, days in zip(OVERDUE_KINDS, plan["overdue_days"], strict=False):
        candidates.append((kind, partner.first_free_from(partner.preferred_on(due_day + days))))
    kept = [
        (kind, at)
        for kind, at in candidates
        if at > invitation and (kind.startswith("overdue") or at < due)
    ]
    kept.sort(key=lambda slot: slot[1])
    distinct = [slot for i, slot in enumerate(kept) if i == 0 or slot[1] > kept[i - 1][1]]
    nudges = distinct[: plan["max_nudges"]]
    last = nudges[-1][1] if nudges else max(due, invitation)
    alert = ("counselor_alert", last + plan["alert_after_hours"] * 60)
    return [("invitation", invitation), *nudges, alert]


def oracle_before_session(partner, *, now, session, hours) -> int | None:
    if not hours:
        return None
    moment = session - hours * 60
    slot = partner.first_free_from(moment)
    if slot >= session:
        slot = partner.last_free_before(moment)
    return slot if now < slot else None


@functools.lru_cache(maxsize=4)
def clock_for(zone_name: str) -> Clock:
    return Clock(ZoneInfo(zone_name))


@functools.lru_cache(maxsize=4)
def anchors_for(zone_name: str) -> tuple[int, ...]:
    """The zone's DST transitions in 2026-2027 (to the minute), then a few ordinary days."""
    zone = ZoneInfo(zone_name)

    def offset(moment):
        return moment.astimezone(zone).utcoffset()

    transitions = []
    day = SPAN_START
    while day < SPAN_END:
        after = day + dt.timedelta(days=1)
        if offset(day) != offset(after):
            low, high = minute_of(day), minute_of(after)
            while high - low > 1:
                middle = (low + high) // 2
                if offset(instant(middle)) == offset(day):
                    low = middle
                else:
                    high = middle
            transitions.append(high)
        day = after
    return (*transitions, *(minute_of(day) for day in ORDINARY_DAYS))


def local_text(minute: int | None, zone: ZoneInfo) -> str:
    if minute is None:
        return "none"
    return f"{instant(minute).astimezone(zone):%a %Y-%m-%d %H:%M %Z} ({instant(minute):%H:%M}Z)"


def clock_time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def check_against_oracle(zone_name: str, anchor: int, case: dict) -> None:
    zone = ZoneInfo(zone_name)
    quiet_start, quiet_end = case["quiet"]
    partner = Partner(clock_for(zone_name), case["preferred_hour"], quiet_start, quiet_end)
    quiet = QuietHours(clock_time(quiet_start), clock_time(quiet_end))
    plan = case["plan"]
    due = anchor + case["due_shift"]
    now = due - case["invited_before_due"]
    opens_at = None if case["opens_after"] is None else now + case["opens_after"]
    session = anchor + case["session_shift"]
    session_now = session - case["session_notice"]

    expected = oracle_slots(partner, now=now, due=due, plan=plan, opens_at=opens_at)
    actual = [
        (slot.kind, minute_of(slot.due_at))
        for slot in reminder_slots(
            now=instant(now),
            due_at=instant(due),
            zone=zone,
            preferred_hour=case["preferred_hour"],
            quiet=quiet,
            plan=plan,
            opens_at=None if opens_at is None else instant(opens_at),
        )
    ]
    expected_session = oracle_before_session(
        partner, now=session_now, session=session, hours=plan["before_session_hours"]
    )
    slot = before_session_slot(
        now=instant(session_now),
        session_starts_at=instant(session),
        zone=zone,
        quiet=quiet,
        plan=plan,
    )
    actual_session = None if slot is None else minute_of(slot.due_at)
    if expected == actual and expected_session == actual_session:
        return
    lines = [
        f"zone {zone_name}, near {local_text(anchor, zone)}",
        f"due {local_text(due, zone)}, now {local_text(now, zone)}",
        f"opens {local_text(opens_at, zone)}",
        f"preferred hour {case['preferred_hour']}, quiet {quiet.start}-{quiet.end}, plan {plan}",
        f"session {local_text(session, zone)}, planned at {local_text(session_now, zone)}",
        "oracle:",
        *(f"  {kind:16} {local_text(at, zone)}" for kind, at in expected),
        f"  {'before_session':16} {local_text(expected_session, zone)}",
        "reminder_slots / before_session_slot:",
        *(f"  {kind:16} {local_text(at, zone)}" for kind, at in actual),
        f"  {'before_session':16} {local_text(actual_session, zone)}",
    ]
    raise AssertionError("\n".join(lines))


minutes_of_day = st.one_of(st.integers(0, 23).map(lambda hour: hour * 60), st.integers(0, DAY - 1))
quiet_hours = st.one_of(
    st.tuples(minutes_of_day, minutes_of_day),  # often crossing midnight
    minutes_of_day.map(lambda minute: (minute, minute)),  # equal start and end: none
    st.just((21 * 60, 8 * 60)),
)
plans = st.fixed_dictionaries(
    {
        "before_due_hours": st.sampled_from([0, 6, 24, 48, 72]),
        "due_day": st.booleans(),
        "overdue_days": st.sampled_from([[], [1], [1, 3], [2, 5]]),
        "max_nudges": st.integers(0, 4),
        "before_session_hours": st.sampled_from([0, 1, 4, 24, 48]),
        "alert_after_hours": st.sampled_from([1, 24]),
    }
)
cases = st.fixed_dictionaries(
    {
        # Due near the anchor: within two days, or far enough that a week of nudges spans it.
        "due_shift": st.one_of(st.integers(-2 * DAY, 2 * DAY), st.integers(-6 * DAY, 3 * DAY)),
        "preferred_hour": st.integers(0, 23),
        "quiet": quiet_hours,
        "plan": plans,
        "invited_before_due": st.integers(0, 8 * DAY),
        "opens_after": st.none() | st.integers(0, 2 * DAY),
        "session_shift": st.integers(-3 * DAY, 3 * DAY),
        "session_notice": st.integers(0, 3 * DAY),
    }
)
oracle_settings = settings(
    deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("zone_name", ALL_ZONES)
@settings(oracle_settings, max_examples=5)
@given(case=cases)
def test_every_zone_plans_what_the_oracle_finds_around_its_dst_changes(zone_name, case):
    # Each example is tried at every DST change of 2026-2027 in the zone and on ordinary days.
    for anchor in anchors_for(zone_name):
        check_against_oracle(zone_name, anchor, case)


ISSUE_PLAN = {
    "before_due_hours": 48,
    "due_day": True,
    "overdue_days": [],
    "max_nudges": 3,
    "before_session_hours": 4,
    "alert_after_hours": 24,
}


@pytest.mark.parametrize("zone_name", ALL_ZONES)
def test_every_zone_nudges_an_early_morning_deadline_the_evening_before(zone_name):
    # The issue's example (due 02:00 local, preferred hour 0, quiet 21:00-08:00) on the day of
    # each DST change and the day after, and on ordinary days; a session at 07:30 those days.
    clock = clock_for(zone_name)
    for anchor in anchors_for(zone_name):
        for day in (clock.local_day(anchor), clock.local_day(anchor) + 1):
            due = clock.reaches(day * DAY + 2 * 60)
            session = clock.reaches(day * DAY + 7 * 60 + 30)
            case = {
                "due_shift": due - anchor,
                "preferred_hour": 0,
                "quiet": (21 * 60, 8 * 60),
                "plan": ISSUE_PLAN,
                "invited_before_due": 3 * DAY - 10 * 60,  # at midday, three days before
                "opens_after": None,
                "session_shift": session - anchor,
                "session_notice": 3 * DAY,
            }
            check_against_oracle(zone_name, anchor, case)


DST_ZONES = [
    "America/Santiago",
    "America/Havana",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Antarctica/Troll",
    "America/St_Johns",
    "Europe/Dublin",  # "negative DST": winter time is the one that counts as daylight saving
    "Africa/Casablanca",
]


@settings(oracle_settings, max_examples=300)
@given(zone_name=st.sampled_from(DST_ZONES), anchor_index=st.integers(0, 5), case=cases)
def test_zones_with_odd_dst_changes_plan_what_the_oracle_finds(zone_name, anchor_index, case):
    anchors = anchors_for(zone_name)
    check_against_oracle(zone_name, anchors[anchor_index % len(anchors)], case)


@pytest.mark.parametrize("zone_name", ["America/Santiago", "America/Havana", "Antarctica/Troll"])
def test_the_oracles_clock_reading_never_runs_backwards(zone_name):
    clock = clock_for(zone_name)
    for transition in anchors_for(zone_name)[:-2]:
        readings = [clock.reading(m) for m in range(transition - 180, transition + 180)]
        assert readings == sorted(readings)
        assert clock.reading(transition - 1) != clock.shows(transition)[0]  # a change of clock


def test_the_oracle_sends_the_issue_example_the_evening_before():
    # Due Saturday 02:00 in New York, preferred hour 0, quiet 21:00-08:00: Friday 20:59.
    new_york = ZoneInfo("America/New_York")
    partner = Partner(clock_for("America/New_York"), 0, 21 * 60, 8 * 60)
    due = minute_of(dt.datetime(2026, 5, 9, 2, 0, tzinfo=new_york))
    nudge = oracle_nudge(partner, partner.clock.local_day(due), due)
    assert instant(nudge).astimezone(new_york).replace(tzinfo=None) == dt.datetime(
        2026, 5, 8, 20, 59
    )
