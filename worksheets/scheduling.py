"""When reminders go out, in each partner's own local time.

Everything here takes aware datetimes and returns aware UTC datetimes; local arithmetic is done
on wall-clock dates and times in the partner's IANA zone and converted back.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
# The longest DST gap in use is two hours (Antarctica/Troll); three hours is a safe bound.
_LONGEST_GAP_MINUTES = 180
# A nudge must leave time to do the worksheet before it is due.
DUE_DAY_LEAD = dt.timedelta(hours=4)


@dataclass(frozen=True)
class QuietHours:
    """The clock times between which a partner gets no messages: from `start` up to (not
    including) `end`, ending the next morning when `start` is later (21:00-08:00).

    Equal start and end (00:00-00:00, 21:00-21:00) is a window of no length: no quiet hours at
    all. `contains` answers for a clock time; for an instant, with DST, see `in_quiet_hours`.
    """

    start: dt.time
    end: dt.time

    def contains(self, local_time: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local_time < self.end
        # Quiet hours that cross midnight, e.g. 21:00-08:00.
        return local_time >= self.start or local_time < self.end


def _exists(local: dt.datetime, zone: ZoneInfo) -> bool:
    round_trip = local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == local


def local_to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time in `zone`.

    DST rules: a time skipped by spring-forward moves to the first real minute after the gap;
    a time that happens twice at fall-back takes the first of the two (fold=0).
    """
    local = local.replace(tzinfo=None, fold=0)
    for _ in range(_LONGEST_GAP_MINUTES):
        if _exists(local, zone):
            return local.replace(tzinfo=zone).astimezone(UTC)
        local += dt.timedelta(minutes=1)
    raise ValueError(f"No real local time near {local} in {zone.key}")


def at_local_hour(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    return local_to_utc(dt.datetime.combine(day, dt.time(hour)), zone)


# The last representable instant of a day: PostgreSQL and datetime both keep microseconds.
_LAST_INSTANT = dt.timedelta(microseconds=1)


def end_of_local_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The deadline of work due by `day` for someone in `zone`: the last instant of that date
    on their clock, in UTC.

    It is taken as the instant before the next local midnight, by local_to_utc's DST rules, so
    a day of 23 or 25 hours, or one whose midnight is skipped (spring forward at 00:00), still
    ends exactly when the partner's clock leaves `day`.
    """
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0))
    return local_to_utc(next_midnight, zone) - _LAST_INSTANT


def deadline_for(
    time_zone: str, *, due_at: dt.datetime | None, due_date: dt.date | None
) -> dt.datetime:
    """The one rule for a partner's deadline: work due by a date is due by the end of that date
    on the partner's own clock (`time_zone`); work due at an instant is due at `due_at`."""
    if due_date is None:
        return due_at
    return end_of_local_day(due_date, ZoneInfo(time_zone))


def _quiet_periods(
    moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The quiet hours of the nights around `moment`, each as (began, ended) UTC instants.

    A night's quiet hours begin when the clock first reaches `start` and end when it first
    reaches `end`, by local_to_utc's DST rules. So the hour repeated at fall-back stays as it
    was when the clocks went back: quiet if quiet hours had begun and not ended (the second
    01:30 does not end quiet hours that end at 01:30, nor begin ones that begin then).
    """
    if quiet.start == quiet.end:
        return []
    day = moment.astimezone(zone).date()
    ends_next_day = dt.timedelta(days=1 if quiet.start > quiet.end else 0)
    periods = []
    for days in range(-3, 2):
        night = day + dt.timedelta(days=days)
        began = local_to_utc(dt.datetime.combine(night, quiet.start), zone)
        ended = local_to_utc(dt.datetime.combine(night + ends_next_day, quiet.end), zone)
        if began < ended:  # not quiet hours that fall wholly in a spring-forward gap
            periods.append((began, ended))
    return periods


def _quiet_period_at(
    moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours
) -> tuple[dt.datetime, dt.datetime] | None:
    for began, ended in _quiet_periods(moment, zone, quiet):
        if began <= moment < ended:
            return began, ended
    return None


def in_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    """Whether the instant `moment` falls in the partner's quiet hours."""
    return _quiet_period_at(moment, zone, quiet) is not None


def outside_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """`moment` itself when it is outside quiet hours, else the instant quiet hours end."""
    moment = moment.astimezone(UTC)
    # A loop, because a spring-forward gap can swallow all the free time between two nights'
    # quiet hours: then they run on into the next night's.
    while (period := _quiet_period_at(moment, zone, quiet)) is not None:
        moment = period[1]
    return moment


def before_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """`moment` itself when it is outside quiet hours, else the last minute before they began."""
    moment = moment.astimezone(UTC)
    while (period := _quiet_period_at(moment, zone, quiet)) is not None:
        moment = period[0] - dt.timedelta(minutes=1)
    return moment


def _free_since(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """When the free time around `moment`, a moment outside quiet hours, began: the end of the
    last quiet hours before it."""
    ends = [ended for _, ended in _quiet_periods(moment, zone, quiet) if ended <= moment]
    return max(ends, default=moment)


# The reminder rules an assignment starts with; the counselor may change any of them.
DEFAULT_PLAN = {
    "before_due_hours": 48,  # a nudge this long before the due date (0: none)
    "due_day": True,  # a nudge on the due day
    "overdue_days": [1, 3],  # nudges this many days after the due date (at most two)
    "max_nudges": 3,  # never more nudges than this per occurrence
    "before_session_hours": 24,  # a nudge this long before the next session (0: none)
    "alert_after_hours": 24,  # tell the counselor if still open this long after the last nudge
}
OVERDUE_KINDS = ("overdue_first", "overdue_second")


def full_plan(plan: dict | None) -> dict:
    return {**DEFAULT_PLAN, **(plan or {})}


@dataclass(frozen=True)
class ReminderSlot:
    kind: str
    due_at: dt.datetime


def _nudge_at(
    day: dt.date,
    preferred_hour: int,
    zone: ZoneInfo,
    quiet: QuietHours,
    due_at: dt.datetime | None = None,
) -> dt.datetime:
    """The nudge for local `day`: at the preferred hour, moved out of quiet hours.

    With `due_at` (a nudge on or before the due day), it goes no later than DUE_DAY_LEAD
    before the due time, and never at or after the due time: when quiet hours run from then
    right up to the due time (an early-morning due time), it goes the evening before instead.
    """
    moment = at_local_hour(day, preferred_hour, zone)
    if due_at is None:
        return outside_quiet_hours(moment, zone, quiet)
    moment = min(moment, due_at - DUE_DAY_LEAD)
    moved = outside_quiet_hours(moment, zone, quiet)
    if moved < due_at:
        return moved
    # Quiet hours run right up to an early-morning due time (often a partner in a zone ahead
    # of the practice's): rather than after the work is due, the nudge goes the evening before.
    return _evening_before(moment, preferred_hour, zone, quiet)


def _evening_before(
    moment: dt.datetime, preferred_hour: int, zone: ZoneInfo, quiet: QuietHours
) -> dt.datetime:
    """A slot in the free time just before the quiet hours around `moment` began: at the
    preferred hour if the clock reaches it in that free time, else at its last minute.

    Only that free time counts: a preferred hour that falls in quiet hours (0, with quiet hours
    21:00-08:00) is not pushed back to the night before, which would be two evenings early.
    """
    last_free = before_quiet_hours(moment, zone, quiet)
    day = last_free.astimezone(zone).date()
    preferred = at_local_hour(day, preferred_hour, zone)
    if preferred > last_free:
        preferred = at_local_hour(day - dt.timedelta(days=1), preferred_hour, zone)
    if preferred >= _free_since(last_free, zone, quiet):
        return preferred
    return last_free


def _candidate_nudges(*, due_at, zone, preferred_hour, quiet, plan) -> list[ReminderSlot]:
    due_day = due_at.astimezone(zone).date()
    nudges = []
    if plan["before_due_hours"]:
        day = (due_at - dt.timedelta(hours=plan["before_due_hours"])).astimezone(zone).date()
        nudges.append(
            ReminderSlot("before_due", _nudge_at(day, preferred_hour, zone, quiet, due_at))
        )
    if plan["due_day"]:
        nudges.append(
            ReminderSlot("due_day", _nudge_at(due_day, preferred_hour, zone, quiet, due_at))
        )
    for kind, days in zip(OVERDUE_KINDS, plan["overdue_days"], strict=False):
        day = due_day + dt.timedelta(days=days)
        nudges.append(ReminderSlot(kind, _nudge_at(day, preferred_hour, zone, quiet)))
    return nudges


def reminder_slots(
    *,
    now: dt.datetime,
    due_at: dt.datetime,
    zone: ZoneInfo,
    preferred_hour: int,
    quiet: QuietHours,
    plan: dict | None = None,
    opens_at: dt.datetime | None = None,
) -> list[ReminderSlot]:
    """Every message for one partner's occurrence of a worksheet, in the partner's local time.

    The invitation goes out when the occurrence opens (now, unless it opens later), moved out
    of quiet hours. Each nudge is for one local day: the before-due nudge for the day
    `before_due_hours` before the due time, the due-day nudge for the due day, the overdue
    nudges for `overdue_days` after it. A nudge goes at the partner's preferred hour on its
    day, or, for one on or before the due day, four hours before the due time (DUE_DAY_LEAD)
    if that is earlier. In quiet hours it moves to the moment they end. If that is at or after
    the due time, because quiet hours run right up to an early-morning due time, the nudge goes
    the evening before instead, in the free time just before those quiet hours began: at the
    preferred hour if that falls in it, else at its last minute ("the evening before, just
    before your quiet hours begin"). Never earlier than that evening, and never at or after
    the due time.

    Nudges already past are left out, two on one moment are one message, and only the first
    `max_nudges` are kept. Last comes the counselor's alert, after the last nudge.
    """
    plan = full_plan(plan)
    opens = max(now, opens_at or now)
    invitation = ReminderSlot("invitation", outside_quiet_hours(opens, zone, quiet))
    candidates = sorted(
        (
            slot
            for slot in _candidate_nudges(
                due_at=due_at, zone=zone, preferred_hour=preferred_hour, quiet=quiet, plan=plan
            )
            if slot.due_at > invitation.due_at
            and (slot.kind.startswith("overdue") or slot.due_at < due_at)
        ),
        key=lambda slot: slot.due_at,
    )
    # Two rules can land on one moment (say, a nudge a day ahead and a due-day nudge moved to
    # the evening before): one message then, not two.
    distinct = [
        slot
        for before, slot in zip([None, *candidates], candidates, strict=False)
        if before is None or slot.due_at > before.due_at
    ]
    nudges = distinct[: plan["max_nudges"]]
    last = nudges[-1].due_at if nudges else max(due_at, invitation.due_at)
    alert = ReminderSlot("counselor_alert", last + dt.timedelta(hours=plan["alert_after_hours"]))
    return [invitation, *nudges, alert]


def before_session_slot(
    *,
    now: dt.datetime,
    session_starts_at: dt.datetime,
    zone: ZoneInfo,
    quiet: QuietHours,
    plan: dict | None = None,
) -> ReminderSlot | None:
    """The "before your session" nudge, or None when it would be too late or is turned off.

    It goes `before_session_hours` before the session, moved out of quiet hours. If that is at
    or after the session, because quiet hours run right up to an early-morning session, it
    goes instead at the last minute before those quiet hours began: the evening before. None
    when that is not after `now`.
    """
    hours = full_plan(plan)["before_session_hours"]
    if not hours:
        return None
    moment = session_starts_at - dt.timedelta(hours=hours)
    slot = outside_quiet_hours(moment, zone, quiet)
    if slot >= session_starts_at:
        slot = before_quiet_hours(moment, zone, quiet)
    if slot <= now:
        return None
    return ReminderSlot("before_session", slot)
