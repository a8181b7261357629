"""Search parameters as GP Connect defines them: one `identifier` token, and prefixed dates (`ge2026-11-25`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from .context import GpcRequest
from .errors import BAD_REQUEST, INVALID_PARAMETER

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")


def one_value(request: GpcRequest, name: str) -> str:
    """The value of a parameter that must be sent exactly once, its name spelled exactly; else 400 BAD_REQUEST."""
    values = request.query_values(name)
    if len(values) == 1:
        return values[0]
    if len(values) > 1:
        raise BAD_REQUEST(f"The {name} parameter is sent {len(values)} times; send it once", rule="search-parameter")
    miscased = sorted({key for key, _ in request.query if key.lower() == name.lower()})
    if miscased:
        raise BAD_REQUEST(f"The parameter is named {name} (case-sensitive), not {miscased[0]}", rule="search-parameter")
    raise BAD_REQUEST(f"The {name} parameter is required", rule="search-parameter")


@dataclass(frozen=True)
class Token:
    system: str
    value: str


def identifier_token(request: GpcRequest, example: str) -> Token:
    """The single `identifier=system|value` parameter; 422 INVALID_PARAMETER when system or value is empty."""
    raw = one_value(request, "identifier")
    system, bar, value = raw.partition("|")
    if not bar or not system.strip() or not value.strip():
        raise INVALID_PARAMETER(f"identifier {raw!r} must be system|value, e.g. {example}", rule="search-identifier")
    return Token(system.strip(), value.strip())


@dataclass(frozen=True)
class DateParam:
    """A prefixed date search value: `ge2026-11-25` or `le2026-11-25T17:00:00+00:00`."""

    prefix: str
    text: str
    day: date
    instant: datetime | None       # None for a date without a time

    def seconds(self, whole_day: Callable[[date], int]) -> int:
        """The instant in UNIX seconds; for a date without a time, `whole_day(day)` (its first or last second)."""
        return whole_day(self.day) if self.instant is None else int(self.instant.timestamp())


# The days a search may name: wide enough for any appointment book, and far from the ends of the calendar,
# where adding a day overflows.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def date_param(name: str, raw: str, allow_time: bool) -> DateParam:
    """Parse a prefixed date; 422 INVALID_PARAMETER, saying what is allowed, for anything else.

    A `+` of an offset that arrived unencoded (as a space) is read as `+`.
    """
    raw = raw.strip()
    prefix, text = raw[:2], raw[2:].replace(" ", "+")
    allowed = "yyyy-mm-dd or yyyy-mm-ddThh:mm:ss+hh:mm" if allow_time else "yyyy-mm-dd (a date, no time)"
    if not prefix.isalpha():
        raise INVALID_PARAMETER(f"{name}={raw}: the value needs a prefix (ge or le) before the date", rule="search-date")
    parsed = None
    try:
        if DATE.fullmatch(text):
            parsed = DateParam(prefix, text, date.fromisoformat(text), None)
        elif allow_time and DATE_TIME.fullmatch(text):
            instant = datetime.fromisoformat(text)
            parsed = DateParam(prefix, text, instant.date(), instant)
    except ValueError:
        pass
    if parsed is None:
        raise INVALID_PARAMETER(f"{name}={raw}: {text!r} is not a valid {allowed}", rule="search-date")
    if not FIRST_DAY <= parsed.day <= LAST_DAY:
        raise INVALID_PARAMETER(f"{name}={raw}: dates from {FIRST_DAY} to {LAST_DAY} can be searched", rule="search-date")
    return parsed
