"""The plan: one shard per practice, each with its own seed and its block of patient numbers.

Everything a shard needs from the rest of the dataset is decided here, up front and cheaply, so
shards are independent and give the same bytes on one core, many cores or a cluster.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .errors import ScenarioError
from .identifiers import derive_seed, nhs_number_capacity
from .scenario import Consumer, FixedPractice, Scenario

MIN_LIST_SIZE = 100


@dataclass(frozen=True)
class PracticePlan:
    index: int
    ods_code: str
    seed: int
    list_size: int
    first_patient_number: int          # this practice's first index into the NHS number range
    fixed: FixedPractice | None


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    seed: int
    as_of: date
    practices: tuple[PracticePlan, ...]
    consumers: tuple[Consumer, ...]     # booking organisations that are not practices of the dataset

    @property
    def practice_codes(self) -> tuple[str, ...]:
        return tuple(p.ods_code for p in self.practices)


def practice_ods_code(scenario: Scenario, index: int) -> str:
    if index < len(scenario.fixed_practices):
        return scenario.fixed_practices[index].ods
    width = max(4, len(str(scenario.practice_count)))
    return f"{scenario.ods_prefix}{index + 1:0{width}d}"


def make_plan(scenario: Scenario, seed: int, as_of: date) -> Plan:
    sizes = random.Random(derive_seed(seed, "list-sizes"))
    practices, next_patient = [], 0
    for index in range(scenario.practice_count):
        fixed = scenario.fixed_practices[index] if index < len(scenario.fixed_practices) else None
        wanted = round(sizes.gauss(scenario.list_size_mean, scenario.list_size_sd)) if scenario.list_size_sd else scenario.list_size_mean
        floor = max(MIN_LIST_SIZE, len(fixed.patients) if fixed else 0) + sum(scenario.special.values())
        list_size = max(wanted, floor)
        ods = practice_ods_code(scenario, index)
        practices.append(PracticePlan(index, ods, derive_seed(seed, "practice", ods), list_size, next_patient, fixed))
        next_patient += list_size
    capacity = nhs_number_capacity(scenario.nhs_number_range)
    if next_patient > capacity:
        raise ScenarioError(
            scenario.source, "patients.nhs_number_range",
            f"{next_patient} patients do not fit the {scenario.nhs_number_range!r} range ({capacity} numbers); "
            "use nhs_number_range: '9' for national-scale datasets")
    codes = {p.ods_code for p in practices}
    if len(codes) != len(practices):
        raise ScenarioError(scenario.source, "practices.fixed", "two practices share an ODS code")
    consumers = tuple(c for c in scenario.consumers if c.ods not in codes)
    return Plan(scenario, seed, as_of, tuple(practices), consumers)
