"""When reminders go out, in each partner's own local time.

Everything here takes aware datetimes and returns aware UTC datetimes; local arithmetic is done
on wall-clock dates and times in the partner's IANA zone and converted back.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
# The longest DST gap in use is one hour (older rules had two); three hours is a safe bound.
_LONGEST_GAP_MINUTES = 180
# A nudge must leave time to do the worksheet before it is due.
DUE_DAY_LEAD = dt.timedelta(hours=4)


@dataclass(frozen=True)
class QuietHours:
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


def outside_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """`moment` itself when it is outside quiet hours, else the instant quiet hours end."""
    local = moment.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment.astimezone(UTC)
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += dt.timedelta(days=1)
    return local_to_utc(dt.datetime.combine(end_day, quiet.end), zone)


def before_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """`moment` itself when it is outside quiet hours, else the last minute before they began."""
    local = moment.astimezone(zone)
    local_time = local.time().replace(tzinfo=None)
    if not quiet.contains(local_time):
        return moment.astimezone(UTC)
    start_day = local.date()
    if quiet.start > quiet.end and local_time < quiet.end:
        start_day -= dt.timedelta(days=1)
    began = local_to_utc(dt.datetime.combine(start_day, quiet.start), zone)
    return began - dt.timedelta(minutes=1)


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
    latest: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
) -> dt.datetime:
    moment = at_local_hour(day, preferred_hour, zone)
    if latest is not None and moment > latest:
        moment = latest
    moved = outside_quiet_hours(moment, zone, quiet)
    if due_at is not None and moved >= due_at:
        # Quiet hours run up to an early-morning due time (often a partner in a zone ahead of
        # the practice's): rather than after the work is due, the nudge goes the day before,
        # at the preferred hour or else just before quiet hours begin.
        eve = min(at_local_hour(day - dt.timedelta(days=1), preferred_hour, zone), latest or due_at)
        moved = before_quiet_hours(eve, zone, quiet)
    return moved


def _candidate_nudges(*, due_at, zone, preferred_hour, quiet, plan) -> list[ReminderSlot]:
    due_day = due_at.astimezone(zone).date()
    # A nudge on or before the due day must leave time to do the worksheet.
    latest = due_at - DUE_DAY_LEAD
    nudges = []
    if plan["before_due_hours"]:
        day = (due_at - dt.timedelta(hours=plan["before_due_hours"])).astimezone(zone).date()
        nudges.append(
            ReminderSlot("before_due", _nudge_at(day, preferred_hour, zone, quiet, latest, due_at))
        )
    if plan["due_day"]:
        nudges.append(
            ReminderSlot("due_day", _nudge_at(due_day, preferred_hour, zone, quiet, latest, due_at))
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

    The invitation goes out when the occurrence opens (now, unless it opens later); nudges go
    at the partner's preferred hour (or four hours before the due time, if that is earlier);
    everything is moved out of quiet hours. Nudges already past are left out, and only the
    first `max_nudges` are kept. Last comes the counselor's alert, after the last nudge.
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
    """The "before your session" nudge, or None when it would be too late or is turned off."""
    hours = full_plan(plan)["before_session_hours"]
    if not hours:
        return None
    moment = outside_quiet_hours(session_starts_at - dt.timedelta(hours=hours), zone, quiet)
    if not now < moment < session_starts_at:
        return None
    return ReminderSlot("before_session", moment)
