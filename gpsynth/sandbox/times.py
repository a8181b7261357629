"""Instants and days as the sandbox compares them: UNIX seconds, and Europe/London calendar days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..calendar import LONDON
from ..calendar import instant_at as london_instant  # noqa: F401  (the sandbox's name for it)


def seconds(value: str) -> int:
    """An ISO 8601 instant with an offset -> UNIX seconds (ValueError when it is not one, or has no offset)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an instant")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value} has no UTC offset")
    return int(parsed.timestamp())


def london_today(now: float) -> date:
    return datetime.fromtimestamp(now, LONDON).date()


def day_start(day: date) -> int:
    """UNIX seconds of 00:00 London time on `day`."""
    return int(datetime.combine(day, time(0), tzinfo=LONDON).timestamp())


def day_end(day: date) -> int:
    """UNIX seconds of the last second of `day` in London (23:59:59, whatever the clocks did)."""
    return day_start(day + timedelta(days=1)) - 1


