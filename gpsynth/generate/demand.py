"""Demand rules: how often each registered patient books, and how full each day's book gets.

Demand comes from the registered population (appointments per patient-year by age and sex); capacity
comes from the rota. A day's fill is the waiting demand over its capacity, capped; mornings fill first.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from ..records import Patient, Slot
from ..scenario import Scenario

BOOKABLE_STATES = ("normal", "sensitive")


def age_on(birth_date: str, day: date) -> int:
    born = date.fromisoformat(birth_date)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def yearly_rate(scenario: Scenario, age: int, gender: str) -> float:
    """Appointments a patient of this age and sex books a year; other genders take the mean of both."""
    for low, high, female, male in scenario.demand.rates_per_year:
        if low <= age <= high:
            rate = female if gender == "female" else male if gender == "male" else (female + male) / 2
            return rate * scenario.demand.scale
    return 0.0


def patient_rates(scenario: Scenario, patients: list[Patient], as_of: date) -> list[float]:
    return [yearly_rate(scenario, age_on(p.birth_date, as_of), p.gender) if p.state in BOOKABLE_STATES else 0.0
            for p in patients]


def day_fill(scenario: Scenario, yearly_demand: float, slots: list[Slot], days: list[date]) -> dict[date, float]:
    """Share of each day's slots that demand fills, at most `max_fill`.

    Needs arise every day, more on heavier weekdays; the book takes them on the next day with clinics,
    up to its capacity, and carries the rest forward: so the first day after a weekend or a bank holiday
    is the busiest, and a short-staffed week spills into the next.
    """
    capacity = Counter(date.fromisoformat(slot.start[:10]) for slot in slots)
    weights = scenario.demand.weekday_weights
    per_weight = yearly_demand / 365 / (sum(weights) / 7 or 1.0)
    backlog, fill = per_weight, {}     # start as if yesterday's needs were still waiting
    for day in days:
        backlog += per_weight * weights[day.weekday()]
        if capacity[day]:
            booked = min(scenario.demand.max_fill * capacity[day], backlog)
            fill[day] = booked / capacity[day]
            backlog -= booked
    return fill


def slot_fill(scenario: Scenario, day_share: float, start: str) -> float:
    """Mornings fill first: a morning slot is `morning_weight` times as likely to be booked as the day's mean."""
    weight = scenario.demand.morning_weight if start[11:13] < "12" else max(0.0, 2 - scenario.demand.morning_weight)
    return min(scenario.demand.max_fill, day_share * weight)
