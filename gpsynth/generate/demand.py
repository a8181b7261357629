"""Demand rules: how often each registered patient books, and how full each day's book gets.

Demand comes from the registered population (appointments per patient-year by age and sex); capacity
comes from the rota. A day's fill is the waiting demand over its capacity, capped; mornings fill first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
from numpy.typing import ArrayLike

from ..calendar import days64, ordinals
from ..records import PatientColumns
from ..scenario import Scenario

BOOKABLE_STATES = ("normal", "sensitive")


def age_in_years(born: ArrayLike, day: ArrayLike) -> np.ndarray:
    """Whole years from each birth date to each day (both date ordinals)."""
    def year_and_date(ordinal: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        days = days64(ordinal)
        years, months = days.astype("datetime64[Y]"), days.astype("datetime64[M]")
        return years.astype(np.int64), (months - years).astype(np.int64) * 100 + (days - months).astype(np.int64)
    born_year, born_date = year_and_date(born)
    year, on_date = year_and_date(day)
    return year - born_year - (on_date < born_date)


def patient_rates(scenario: Scenario, patients: PatientColumns, as_of: date) -> np.ndarray:
    """Appointments each patient books a year, by age band and sex (other genders take the mean of both);
    none for patients who cannot book."""
    age = age_in_years(ordinals(patients.column("birth_date")), as_of.toordinal())
    gender = np.array(patients.column("gender"))
    rates = np.zeros(len(age))
    for low, high, female, male in reversed(scenario.demand.rates_per_year):    # the first band that holds an age
        rate = np.where(gender == "female", female, np.where(gender == "male", male, (female + male) / 2))
        rates = np.where((low <= age) & (age <= high), rate, rates)
    bookable = np.isin(np.array(patients.column("state")), BOOKABLE_STATES)
    return np.where(bookable, rates * scenario.demand.scale, 0.0)


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
