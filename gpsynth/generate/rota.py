"""Rota rules: which sessions each clinician works on which day (`worked_sessions`: part time, leave,
training, extended access), and the slots a worked session yields (`schedule_slots`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import accumulate

from ..calendar import bank_holiday_name, london_offset
from ..records import Schedule, Slot
from ..scenario import Scenario, Session, StaffGroup


class SlotTimes:
    """Start and end instants of the slots of a session on a day, computed once per shard."""

    def __init__(self) -> None:
        self._cache: dict[tuple[date, str, int], list[tuple[str, str]]] = {}

    def __call__(self, day: date, session: Session, minutes: int) -> list[tuple[str, str]]:
        key = (day, session.name, minutes)
        if key not in self._cache:
            self._cache[key] = list(self._compute(day, session, minutes))
        return self._cache[key]

    @staticmethod
    def _compute(day: date, session: Session, minutes: int) -> Iterator[tuple[str, str]]:
        edges = [session.start, *[t for pause in session.breaks for t in pause], session.end]
        step = timedelta(minutes=minutes)
        prefix = day.isoformat() + "T"
        for begin, finish in zip(edges[::2], edges[1::2], strict=True):
            at, stop = datetime.combine(day, begin), datetime.combine(day, finish)
            while at + step <= stop:
                start, end = at.time(), (at + step).time()
                start_offset, end_offset = london_offset(day, start), london_offset(day, end)
                # Skip wall times the spring change removes, and slots a change would stretch or shrink.
                if start_offset and start_offset == end_offset:
                    yield (f"{prefix}{start.isoformat('seconds')}{start_offset}",
                           f"{prefix}{end.isoformat('seconds')}{end_offset}")
                at += step


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


def schedule_slots(rng: random.Random, scenario: Scenario, schedule: Schedule, group: StaffGroup,
                   worked: list[tuple[date, str]], slot_times: SlotTimes, next_id) -> list[Slot]:
    """The slots of one schedule's worked sessions, in time order.

    Each session runs on one delivery channel (a telephone clinic, say); each slot is GP Connect
    bookable with the scenario's share, and a bookable slot may carry one restriction.
    """
    channels, channel_weights = zip(*group.channels, strict=True)
    channel_cum = tuple(accumulate(channel_weights))
    restrictions = scenario.availability.restrictions
    restriction_bounds = tuple(zip(accumulate(r.share for r in restrictions), restrictions, strict=True))
    bookable_share, random_draw, schedule_id = scenario.availability.bookable_share, rng.random, schedule.id
    slots = []
    for day, session_name in worked:
        channel = rng.choices(channels, cum_weights=channel_cum)[0]
        for start, end in slot_times(day, scenario.sessions[session_name], group.slot_minutes):
            bookable = random_draw() < bookable_share
            org_types: tuple[str, ...] = ()
            ods_codes: tuple[str, ...] = ()
            if bookable and restriction_bounds:
                draw = random_draw()
                for bound, restriction in restriction_bounds:
                    if draw < bound:
                        org_types, ods_codes = restriction.org_types, restriction.ods_codes
                        break
            slots.append(Slot(next_id(), schedule_id, start, end, channel, bookable, org_types, ods_codes))
    return slots
