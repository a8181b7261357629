"""Rota rules: which sessions each clinician works on which day (`worked_sessions`: part time, leave,
training, extended access), and the slots a worked session yields (`schedule_slots`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import chain

import numpy as np

from ..calendar import bank_holiday_name, london_offset
from ..records import Schedule, SlotColumns
from ..scenario import Scenario, Session, StaffGroup


@dataclass(frozen=True)
class SessionSlots:
    """The slots of one session on one day: start and end instants, and start minutes after midnight (read only)."""

    starts: list[str]
    ends: list[str]
    start_minutes: list[int]


@lru_cache(maxsize=8192)
def session_slots(day: date, session: Session, minutes: int) -> SessionSlots:
    """The slots of a session on a day (computed once per process: every practice shares the calendar)."""
    edges = [session.start, *[t for pause in session.breaks for t in pause], session.end]
    step = timedelta(minutes=minutes)
    prefix = day.isoformat() + "T"
    found = SessionSlots([], [], [])
    for begin, finish in zip(edges[::2], edges[1::2], strict=True):
        at, stop = datetime.combine(day, begin), datetime.combine(day, finish)
        while at + step <= stop:
            start, end = at.time(), (at + step).time()
            start_offset, end_offset = london_offset(day, start), london_offset(day, end)
            # Skip wall times the spring change removes, and slots a change would stretch or shrink.
            if start_offset and start_offset == end_offset:
                found.starts.append(f"{prefix}{start.isoformat('seconds')}{start_offset}")
                found.ends.append(f"{prefix}{end.isoformat('seconds')}{end_offset}")
                found.start_minutes.append(start.hour * 60 + start.minute)
            at += step
    return found


def clinic_open(scenario: Scenario, group: StaffGroup, day: date) -> bool:
    """A group's clinics run on its days (the working days unless it names others, e.g. Saturday hubs)."""
    if day.weekday() not in group.days:
        return False
    return not (scenario.calendar.closed_on_bank_holidays and bank_holiday_name(day))


def practice_open(scenario: Scenario, day: date) -> bool:
    """The practice takes bookings at its desk on its working days that are not bank holidays."""
    return day.weekday() in scenario.calendar.working_days and not (scenario.calendar.closed_on_bank_holidays and bank_holiday_name(day))


def worked_sessions(rng: random.Random, scenario: Scenario, group: StaffGroup, days: list[date]) -> list[tuple[date, str]]:
    """The (day, session) pairs one clinician works: a weekly part-time pattern less leave and training days."""
    grid = [(weekday, name) for weekday in group.days for name in group.sessions]
    sessions, weights = zip(*group.sessions_per_week, strict=True)
    weekly = min(len(grid), rng.choices(sessions, weights)[0])
    pattern = set(rng.sample(grid, weekly))
    leave_share, training_share = scenario.workforce.annual_leave_weeks / 52, scenario.workforce.training_days / 260
    worked: list[tuple[date, str]] = []
    week, on_leave = None, False
    for day in days:
        if day.isocalendar()[:2] != week:
            week, on_leave = day.isocalendar()[:2], rng.random() < leave_share
        if on_leave or not clinic_open(scenario, group, day) or rng.random() < training_share:
            continue
        worked.extend((day, name) for weekday, name in grid if weekday == day.weekday() and (weekday, name) in pattern)
    return worked


def schedule_slots(rng: np.random.Generator, scenario: Scenario, schedule: Schedule, group: StaffGroup,
                   worked: list[tuple[date, str]], first_number: int, prefix: str) -> SlotColumns:
    """The slots of one schedule's worked sessions, in time order, numbered from `first_number`.

    Each session runs on one delivery channel (a telephone clinic, say); each slot is GP Connect
    bookable with the scenario's share, and a bookable slot may carry one restriction. The draws are
    one vector per schedule: a channel per session, then a bookable and a restriction draw per slot.
    """
    sessions = [session_slots(day, scenario.sessions[name], group.slot_minutes) for day, name in worked]
    per_session = np.array([len(s.starts) for s in sessions], dtype=np.int64)
    n = int(per_session.sum())
    channels, channel_weights = zip(*group.channels, strict=True)
    channel_bounds = np.cumsum(channel_weights) / sum(channel_weights)
    session_channel = np.minimum(np.searchsorted(channel_bounds, rng.random(len(sessions)), side="right"), len(channels) - 1)
    restrictions = scenario.availability.restrictions
    restriction_bounds = np.cumsum([r.share for r in restrictions])
    bookable = rng.random(n) < scenario.availability.bookable_share
    kept_for = np.searchsorted(restriction_bounds, rng.random(n), side="right")   # len(restrictions): for anyone
    access = np.where(bookable, np.where(kept_for < len(restrictions), kept_for + 2, 1), 0).astype(np.int8)
    days = np.array([day.toordinal() for day, _ in worked], dtype=np.int32)
    columns = {
        "id": [f"{prefix}{k}" for k in range(first_number, first_number + n)],
        "schedule_id": [schedule.id] * n,
        "start": list(chain.from_iterable(s.starts for s in sessions)),
        "end": list(chain.from_iterable(s.ends for s in sessions)),
        "delivery_channel": [channels[k] for k in np.repeat(session_channel, per_session).tolist()],
        "access": access,
        "status": np.zeros(n, dtype=np.int8),
        "day": np.repeat(days, per_session),
        "start_minute": np.fromiter(chain.from_iterable(s.start_minutes for s in sessions), dtype=np.int16, count=n),
    }
    return SlotColumns(columns, [(r.org_types, r.ods_codes) for r in restrictions])
