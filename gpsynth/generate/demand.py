"""Demand rules: how often each registered patient books, and how full each day's book gets.

Demand comes from the registered population (appointments per patient-year by age and sex); capacity
comes from the rota. A day's fill is the waiting demand over its capacity, capped; mornings fill first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
from numpy.typing import ArrayLike

from ..records import PatientColumns
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


def patient_rates(scenario: Scenario, patients: PatientColumns, as_of: date) -> list[float]:
    return [yearly_rate(scenario, age_on(born, as_of), gender) if state in BOOKABLE_STATES else 0.0
            for born, gender, state in zip(patients.column("birth_date"), patients.column("gender"),
                                           patients.column("state"), strict=True)]


def day_fill(scenario: Scenario, yearly_demand: float, capacity: Mapping[date, int], days: list[date]) -> dict[date, float]:
    """Share of each day's slots that demand fills, at most `max_fill`.

    Needs arise every day, more on heavier weekdays; the book takes them on the next day with clinics,
    up to its capacity, and carries the rest forward: so the first day after a weekend or a bank holiday
    is the busiest, and a short-staffed week spills into the next.
    """
    weights = scenario.demand.weekday_weights
    per_weight = yearly_demand / 365 / (sum(weights) / 7 or 1.0)
    backlog, fill = per_weight, {}     # start as if yesterday's needs were still waiting
    for day in days:
        backlog += per_weight * weights[day.weekday()]
        if capacity.get(day):
            booked = min(scenario.demand.max_fill * capacity[day], backlog)
            fill[day] = booked / capacity[day]
            backlog -= booked
    return fill


def slot_fill(scenario: Scenario, day_share: ArrayLike, morning: ArrayLike) -> np.ndarray:
    """Mornings fill first: a morning slot is `morning_weight` times as likely to be booked as the day's mean.

    `day_share` and `morning` (whether each slot starts before noon) are arrays, or single values."""
    weight = np.where(morning, scenario.demand.morning_weight, max(0.0, 2 - scenario.demand.morning_weight))
    return np.minimum(scenario.demand.max_fill, np.asarray(day_share) * weight)
