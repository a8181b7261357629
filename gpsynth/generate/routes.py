"""Booking routes: when an appointment was made, by which route, for a slot on a given day.

- same-day: on-the-day slots are released at 08:00 and go through the morning, booked at the desk
  (booked only on a day the practice is open);
- routine: booked days or weeks ahead, at the desk on a day the practice is open, 08:00-18:30;
- urgent-care (NHS 111): for today or tomorrow, booked at any hour of any day;
- hub (a network's extended-access hub): up to two weeks ahead, 08:00-20:00 Monday to Saturday.

Each function takes NumPy arrays (or single numbers) of plain values: days as date ordinals, times as
minutes after midnight, uniform draws in [0, 1); so a schedule's bookings are worked out together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np
from numpy.typing import ArrayLike

RELEASE = 8 * 60
DESK_HOURS = (8 * 60, 18 * 60 + 30)
HUB_HOURS = (8 * 60, 20 * 60)
HUB_LEAD_DAYS = 14
DESK_LOOK_BACK = 14      # days a desk booking moves back at most to find an open day


def routine_lead(draw: ArrayLike, median_days: int, max_days: int) -> np.ndarray:
    """Days between booking and appointment, at least 1: a geometric-like tail with the given median."""
    scale = max(median_days - 1, 0.5) / math.log(2)
    return np.minimum(max_days, 1 + np.floor(-np.log1p(-np.asarray(draw, dtype=float)) * scale).astype(np.int64))


class DeskDays:
    """The latest day on or before a given day on which the practice desk is open (at most two weeks back;
    the day itself when none is), looked up from a table over the days the rules can ask about."""

    def __init__(self, first: date, last: date, is_open: Callable[[date], bool]):
        self.first = first.toordinal() - DESK_LOOK_BACK
        ordinals = range(self.first, last.toordinal() + 1)
        self.open = np.array([is_open(date.fromordinal(d)) for d in ordinals], dtype=bool)
        latest, found = np.arange(len(self.open)), -(DESK_LOOK_BACK + 1)
        for n, is_open_day in enumerate(self.open):
            found = n if is_open_day else found
            latest[n] = found if n - found <= DESK_LOOK_BACK else n
        self.latest = latest + self.first

    def is_open(self, day: ArrayLike) -> np.ndarray:
        return self.open[np.asarray(day) - self.first]

    def __call__(self, day: ArrayLike) -> np.ndarray:
        return self.latest[np.maximum(np.asarray(day) - self.first, 0)]


def within(hours: tuple[int, int], draw: ArrayLike, skew: float = 1.0) -> np.ndarray:
    """A minute within opening hours; skew > 1 crowds the draws towards the opening (the morning peak)."""
    first, last = hours
    return first + np.floor(np.asarray(draw, dtype=float) ** skew * (last - first)).astype(np.int64)


def same_day_time(start: ArrayLike, draw: ArrayLike) -> np.ndarray:
    """Booked after release and up to five minutes before the start, mostly soon after release. A clinic
    that starts before the 08:00 release (a night clinic) is released at midnight."""
    start, draw = np.asarray(start, dtype=np.int64), np.asarray(draw, dtype=float)
    first = np.where(start >= RELEASE + 5, RELEASE, 0)
    last = np.maximum(first, start - 5)
    return np.where(last > first, first + np.floor(draw * draw * (last - first + 1)).astype(np.int64), first)


def urgent_care_time(day: ArrayLike, start: ArrayLike, lead: ArrayLike, draw: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """NHS 111 books 24/7: today before the start (lead 0), or any time yesterday (lead 1)."""
    start, draw = np.asarray(start, dtype=np.int64), np.asarray(draw, dtype=float)
    today = np.floor(draw * np.maximum(0, start - 10)).astype(np.int64)
    yesterday = np.floor(draw * 1440).astype(np.int64)
    return np.asarray(day) - np.asarray(lead), np.where(np.asarray(lead) == 0, today, yesterday)


def hub_day(day: ArrayLike, lead: ArrayLike) -> np.ndarray:
    """The hub's booking day: `lead` days before, Sunday moved back to Saturday."""
    booked = np.asarray(day) - np.asarray(lead)
    return booked - (booked % 7 == 0)      # ordinal % 7 == 0 is a Sunday


def created_by(day: ArrayLike, at: ArrayLike, start_day: ArrayLike, start: ArrayLike) -> np.ndarray:
    """Whether a booking made on `day` at minute `at` comes no later than the slot's start."""
    day, start_day = np.asarray(day), np.asarray(start_day)
    return (day < start_day) | ((day == start_day) & (np.asarray(at) <= np.asarray(start)))

