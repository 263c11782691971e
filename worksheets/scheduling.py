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


@dataclass(frozen=True)
class ReminderSlot:
    kind: str
    due_at: dt.datetime


def default_reminder_slots(
    *,
    now: dt.datetime,
    due_at: dt.datetime,
    zone: ZoneInfo,
    preferred_hour: int,
    quiet: QuietHours,
) -> list[ReminderSlot]:
    """The invitation now, then nudges two days before and on the due day, at the partner's
    preferred hour (or four hours before the due time, if that is earlier), each moved out of
    quiet hours. Nudges already past, or not before the due time, are left out."""
    slots = [ReminderSlot("invitation", outside_quiet_hours(now, zone, quiet))]
    due_day = due_at.astimezone(zone).date()
    for kind, day in (("before_due", due_day - dt.timedelta(days=2)), ("due_day", due_day)):
        moment = at_local_hour(day, preferred_hour, zone)
        if moment > due_at - DUE_DAY_LEAD:
            # The preferred hour comes too late on the due day to still be useful.
            moment = due_at - DUE_DAY_LEAD
        moment = outside_quiet_hours(moment, zone, quiet)
        if now < moment < due_at:
            slots.append(ReminderSlot(kind, moment))
    return slots
