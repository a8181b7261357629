"""Demand rules: how often each registered patient books, and how full each day's book gets.

Demand comes from the registered population (appointments per patient-year by age and sex); capacity
comes from the rota. A day's fill is demand over capacity, capped, shaped by weekday and time of day.
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
    for low, high, female, male in scenario.rates_per_year:
        if low <= age <= high:
            rate = female if gender == "female" else male if gender == "male" else (female + male) / 2
            return rate * scenario.demand_scale
    return 0.0


def patient_rates(scenario: Scenario, patients: list[Patient], as_of: date) -> list[float]:
    return [yearly_rate(scenario, age_on(p.birth_date, as_of), p.gender) if p.state in BOOKABLE_STATES else 0.0
            for p in patients]


def day_fill(scenario: Scenario, yearly_demand: float, slots: list[Slot], days: list[date],
             open_days: set[date]) -> dict[date, float]:
    """Share of each day's slots that demand fills, at most `max_fill`.

    A year's demand falls on the practice's open days, more on heavier weekdays; clinics on other days
    (extended access on Saturdays) fill like an average open day, weighted by their weekday.
    """
    capacity = Counter(date.fromisoformat(slot.start[:10]) for slot in slots)
    weights = scenario.weekday_weights
    open_weight = sum(weights[d.weekday()] for d in open_days) or 1.0
    per_weight = yearly_demand * len(days) / 365 / open_weight
    mean_fill = min(scenario.max_fill, per_weight * len(open_days) / max(1, sum(capacity[d] for d in open_days)))
    fill = {}
    for day, slots_that_day in capacity.items():
        if day in open_days:
            fill[day] = min(scenario.max_fill, per_weight * weights[day.weekday()] / slots_that_day)
        else:
            fill[day] = min(scenario.max_fill, mean_fill * weights[day.weekday()])
    return fill


def slot_fill(scenario: Scenario, day_share: float, start: str) -> float:
    """Mornings fill first: a morning slot is `morning_weight` times as likely to be booked as the day's mean."""
    weight = scenario.morning_weight if start[11:13] < "12" else max(0.0, 2 - scenario.morning_weight)
    return min(scenario.max_fill, day_share * weight)
