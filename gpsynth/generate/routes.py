"""Booking routes: when an appointment was made, by which route, for a slot on a given day.

- same-day: on-the-day slots are released at 08:00 and go through the morning, booked at the desk
  (booked only on a day the practice is open);
- routine: booked days or weeks ahead, at the desk on a day the practice is open, 08:00-18:30;
- urgent-care (NHS 111): for today or tomorrow, booked at any hour of any day;
- hub (a network's extended-access hub): up to two weeks ahead, 08:00-20:00 Monday to Saturday.

Each function takes plain values (the slot's day and start, uniform draws) and returns plain values.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

RELEASE = time(8, 0)
DESK_HOURS = (time(8, 0), time(18, 30))
HUB_HOURS = (time(8, 0), time(20, 0))
HUB_LEAD_DAYS = 14


def routine_lead(draw: float, median_days: int, max_days: int) -> int:
    """Days between booking and appointment, at least 1: a geometric-like tail with the given median."""
    scale = max(median_days - 1, 0.5) / math.log(2)
    return min(max_days, 1 + int(-math.log(1 - draw) * scale))


def desk_day(day: date, is_open) -> date:
    """The latest day on or before `day` on which the practice desk is open (at most two weeks back)."""
    for back in range(15):
        if is_open(day - timedelta(days=back)):
            return day - timedelta(days=back)
    return day


def within(hours: tuple[time, time], draw: float, skew: float = 1.0) -> time:
    """A minute within opening hours; skew > 1 crowds the draws towards the opening (the morning peak)."""
    first = hours[0].hour * 60 + hours[0].minute
    last = hours[1].hour * 60 + hours[1].minute
    minute = first + int(draw ** skew * (last - first))
    return time(minute // 60, minute % 60)


def same_day_time(start: time, draw: float) -> time:
    """Booked after release and up to five minutes before the start, mostly soon after release. A clinic
    that starts before the 08:00 release (a night clinic) is released at midnight."""
    start_minute = start.hour * 60 + start.minute
    first = RELEASE.hour * 60 + RELEASE.minute if start_minute >= RELEASE.hour * 60 + RELEASE.minute + 5 else 0
    last = max(first, start_minute - 5)
    minute = first + int(draw * draw * (last - first + 1)) if last > first else first
    return time(minute // 60, minute % 60)


def urgent_care_time(day: date, start: time, lead: int, draw: float) -> tuple[date, time]:
    """NHS 111 books 24/7: today before the start, or any time yesterday."""
    if lead == 0:
        minutes = max(0, start.hour * 60 + start.minute - 10)
        minute = int(draw * minutes)
        return day, time(minute // 60, minute % 60)
    minute = int(draw * 1440)
    return day - timedelta(days=1), time(minute // 60, minute % 60)


def hub_day(day: date, lead: int) -> date:
    """The hub's booking day: `lead` days before, Sunday moved back to Saturday."""
    booked = day - timedelta(days=lead)
    return booked - timedelta(days=1) if booked.weekday() == 6 else booked


def created_by(day: date, at: time, start_day: date, start: time) -> bool:
    return datetime.combine(day, at) <= datetime.combine(start_day, start)
