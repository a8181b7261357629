"""Clinic calendar: working days, England bank holidays and Europe/London wall-clock times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from numpy.typing import ArrayLike

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_START, DAY_END = time(0, 0), time(23, 59, 59)  # the first and last wall-clock second of a day
NOON = time(12)


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def bank_holiday_name(day: date) -> str | None:
    return bank_holidays(day.year).get(day)


def days_between(first: date, last: date) -> Iterator[date]:
    """Every date from first to last inclusive."""
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


@lru_cache(maxsize=1 << 16)     # instants repeat a lot: one last update for a generated store, clinics at set times
def instant_at(when: float) -> str:
    """UNIX seconds -> `2026-11-25T17:03:09+00:00`, the London wall-clock time with its offset."""
    return datetime.fromtimestamp(int(when), LONDON).isoformat()


@lru_cache(maxsize=65536)
def london_offset(day: date, at: time) -> str | None:
    """The UTC offset ('+00:00' or '+01:00') of a London wall-clock time, None if it does not exist.

    A wall time skipped by the spring clock change does not survive the round trip through UTC; a wall
    time the autumn change repeats is taken at its first occurrence, whatever `at.fold` says.
    """
    local = datetime.combine(day, at.replace(fold=0), tzinfo=LONDON)
    back = local.astimezone(UTC).astimezone(LONDON)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return _utc_offset(local)


def _utc_offset(moment: datetime) -> str:
    """The UTC offset of an aware datetime in ISO 8601 form, e.g. '+01:00'."""
    hours_minutes = moment.strftime("%z")
    return f"{hours_minutes[:3]}:{hours_minutes[3:5]}"


def london_instant(day: date, at: time) -> str:
    """An ISO 8601 instant for a London wall-clock time, e.g. 2026-03-30T09:00:00+01:00.

    A time the spring change skips (01:00-01:59 on its Sunday) is the instant the clocks then show an
    hour later (01:30 -> 02:30+01:00); a time the autumn change repeats is its first occurrence (BST).
    """
    offset = london_offset(day, at)
    if offset is None:
        moved = datetime.combine(day, at.replace(fold=0), tzinfo=LONDON).astimezone(UTC).astimezone(LONDON)
        return moved.isoformat(timespec="seconds")
    return f"{day.isoformat()}T{at.isoformat(timespec='seconds')}{offset}"


@lru_cache(maxsize=4096)
def _day_prefix(ordinal: int) -> tuple[str, str | None]:
    """A day's ISO date and its one UTC offset (None on a day the clocks change)."""
    day = date.fromordinal(ordinal)
    first = _utc_offset(datetime.combine(day, DAY_START, tzinfo=LONDON))
    last = _utc_offset(datetime.combine(day, DAY_END, tzinfo=LONDON))
    return day.isoformat(), first if first == last else None


def london_instants(days: Iterable[int], minutes: Iterable[int]) -> list[str]:
    """`london_instant` of each (date ordinal, whole minute after midnight), in bulk."""
    instants = []
    for ordinal, minute in zip(days, minutes, strict=True):
        day, offset = _day_prefix(ordinal)
        hour, minute = divmod(minute, 60)
        instants.append(f"{day}T{hour:02d}:{minute:02d}:00{offset}" if offset
                        else london_instant(date.fromordinal(ordinal), time(hour, minute)))
    return instants


def clock_changes(first: date, last: date) -> list[tuple[date, str]]:
    """Dates in [first, last] on which London changes its offset, with the new offset."""
    changes = []
    previous = _utc_offset(datetime.combine(first - timedelta(days=1), NOON, tzinfo=LONDON))
    for day in days_between(first, last):
        offset = _utc_offset(datetime.combine(day, NOON, tzinfo=LONDON))  # noon: never skipped nor repeated
        if offset != previous:
            changes.append((day, offset))
        previous = offset
    return changes


# Date ordinals (date.toordinal) in bulk, as the columnar rules hold days.
UNIX_EPOCH = date(1970, 1, 1).toordinal()


def ordinals(days: Sequence[str]) -> np.ndarray:
    """ISO dates (YYYY-MM-DD) as date ordinals."""
    return np.array(days, dtype="datetime64[D]").astype(np.int64) + UNIX_EPOCH


def days64(ordinal: ArrayLike) -> np.ndarray:
    """Date ordinals as NumPy days."""
    return (np.asarray(ordinal) - UNIX_EPOCH).astype("datetime64[D]")


def iso_dates(ordinal: ArrayLike) -> list[str]:
    """Date ordinals as ISO dates (YYYY-MM-DD)."""
    return np.datetime_as_string(days64(ordinal)).tolist()
