"""Scenario values: the checks behind each typed rule, each failing with what is wrong and what is allowed.

Each value type is an `Annotated` type whose validator turns the YAML value into the value the generators
use (a weekday name into its number, "08:30" into a time) and carries a `Kind` that the rule reference shows.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from .calendar import WEEKDAYS
from .identifiers import ODS_CODE, is_valid_nhs_number

ENGLAND = "england"   # patients.age_bands / female_share: the ONS figures shipped in gpsynth.reference
MAX_AGE = 105         # the oldest single year of age in those figures
GENDERS = ("male", "female", "other", "unknown")


@dataclass(frozen=True)
class Kind:
    """How the rule reference names a value type."""

    text: str


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlist = _SHOWN.maxdict = 4
_SHOWN.maxlevel = 2


def shown(value: Any) -> str:
    """A value as the message quotes it: short, however big or deeply nested it is (YAML aliases can make it huge)."""
    return _SHOWN.repr(value)


@dataclass(frozen=True)
class Inherited:
    """A default taken from elsewhere, as the rule reference names it."""

    text: str


def rule_error(message: str, *path: str | int) -> PydanticCustomError:
    """A failed rule; `path` leads from the value being checked to the key at fault."""
    return PydanticCustomError("scenario", "{message}", {"message": message, "path": path})


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def whole(value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise rule_error(f"must be a whole number, got {shown(value)}")
    if value < minimum:
        raise rule_error(f"must be at least {minimum}, got {value}")
    return value


def share(value: Any) -> float:
    if not is_number(value) or not 0 <= value <= 1:
        raise rule_error(f"must be a share between 0 and 1, got {shown(value)}")
    return float(value)


def number(value: Any) -> float:
    if not is_number(value) or not 0 <= value <= 1000:
        raise rule_error(f"must be a number from 0 to 1000, got {shown(value)}")
    return float(value)


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise rule_error(f"must be non-empty text, got {shown(value)}")
    return value


def label(value: Any) -> str:
    """Text that YAML may have read as a number (an id "1", a name 2026)."""
    if is_number(value):
        value = str(value)
    return text(value)


def clock(value: Any) -> time:
    try:
        if not isinstance(value, str):
            raise ValueError
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise rule_error(f"must be a time of day HH:MM, got {shown(value)}") from None


def ods(value: Any) -> str:
    if not isinstance(value, str) or not ODS_CODE.match(value):
        raise rule_error(f"must be an ODS code of 1-9 upper-case letters and digits, got {shown(value)}")
    return value


def nhs_number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not is_valid_nhs_number(value):
        raise rule_error(f"{shown(value)} is not a valid NHS number (10 digits passing the modulus-11 check)")
    return value


def one_of(allowed: Iterable[str], what: str) -> Callable[[Any], str]:
    names = tuple(allowed)

    def check(value: Any) -> str:
        if value not in names:
            raise rule_error(f"unknown {what} {shown(value)}; allowed: {', '.join(names)}")
        return value
    return check


def mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise rule_error(f"must be a mapping, got {shown(value)}")
    return value


def known(value: Any, allowed: Iterable[str]) -> dict:
    """A mapping whose keys are all allowed."""
    names = tuple(allowed)
    for key in mapping(value):
        if key not in names:
            raise rule_error(f"unknown key; allowed here: {', '.join(names)}", key)
    return value


def listing(value: Any) -> list:
    if not isinstance(value, list):
        raise rule_error(f"must be a list, got {shown(value)}")
    return value


def weekdays(value: Any) -> tuple[int, ...]:
    days = []
    for i, day in enumerate(listing(value)):
        if day not in WEEKDAYS:
            raise rule_error(f"unknown day {shown(day)}; allowed: {', '.join(WEEKDAYS)}", i)
        days.append(WEEKDAYS.index(day))
    if not days:
        raise rule_error("must name at least one day")
    return tuple(sorted(set(days)))


def weights(allowed: Iterable[str]) -> Callable[[Any], tuple[tuple[str, float], ...]]:
    """A mapping of names to shares, at least one above 0."""
    names = tuple(allowed)

    def check(value: Any) -> tuple[tuple[str, float], ...]:
        pairs = []
        for name, weight in mapping(value).items():
            if name not in names:
                raise rule_error(f"unknown value {shown(name)}; allowed: {', '.join(names)}", name)
            pairs.append((name, at(name, share, weight)))
        if not pairs or sum(w for _, w in pairs) <= 0:
            raise rule_error("needs at least one value with a weight above 0")
        return tuple(pairs)
    return check


def age_band(band: Any, oldest: int) -> tuple[int, int]:
    try:
        low, high = (int(x) for x in str(band).split("-"))
    except ValueError:
        raise rule_error("an age band is written LOW-HIGH in years, e.g. 18-29") from None
    if not 0 <= low <= high <= oldest:
        raise rule_error(f"ages must satisfy 0 <= low <= high <= {oldest}")
    return low, high


def at(key: str | int, check: Callable[[Any], Any], value: Any) -> Any:
    """check(value), with a failure placed at `key` below the value being checked."""
    try:
        return check(value)
    except PydanticCustomError as exc:
        context = exc.context or {}
        raise rule_error(context["message"], key, *context.get("path", ())) from None


def england_or(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """None stands for England's figures."""
    return lambda value: None if value == ENGLAND else check(value)


Count = Annotated[int, BeforeValidator(lambda v: whole(v, 1)), Kind("whole number, 1 or more")]
Days = Annotated[int, BeforeValidator(lambda v: whole(v, 1)), Kind("whole number of days, 1 or more")]
Amount = Annotated[int, BeforeValidator(lambda v: whole(v, 0)), Kind("whole number, 0 or more")]
Share = Annotated[float, BeforeValidator(share), Kind("share from 0 to 1")]
Number = Annotated[float, BeforeValidator(number), Kind("number from 0 to 1000")]
Text = Annotated[str, BeforeValidator(text), Kind("text")]
Label = Annotated[str, BeforeValidator(label), Kind("text")]
Clock = Annotated[time, BeforeValidator(clock), Kind("time of day HH:MM")]
OdsCode = Annotated[str, BeforeValidator(ods), Kind("ODS code: 1-9 upper-case letters and digits")]
NhsNumber = Annotated[str, BeforeValidator(nhs_number), Kind("NHS number: 10 digits passing the modulus-11 check")]
Weekdays = Annotated[tuple[int, ...], BeforeValidator(weekdays), Kind(f"list of days ({', '.join(WEEKDAYS)})")]
Gender = Annotated[str, BeforeValidator(one_of(GENDERS, "gender")), Kind(" | ".join(GENDERS))]


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise rule_error(f"must be true or false, got {shown(value)}")
    return value


Flag = Annotated[bool, BeforeValidator(flag), Kind("true | false")]
