"""The plan: one shard per practice, each with its own seed and its block of patient numbers.

Everything a shard needs from the rest of the dataset is decided here, up front and cheaply, so
shards are independent and give the same bytes on one core, many cores or a cluster.
"""

from __future__ import annotations

import math
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


def practice_ods_codes(scenario: Scenario) -> list[str]:
    """Fixed codes first, then each regional prefix numbered in turn, in proportion to its share."""
    fixed = [practice.ods for practice in scenario.practices.fixed[:scenario.practices.count]]
    remaining = scenario.practices.count - len(fixed)
    total = sum(share for _, share in scenario.practices.ods_prefixes)
    width = max(4, len(str(scenario.practices.count)))
    codes, allotted = [], 0
    for n, (prefix, share) in enumerate(scenario.practices.ods_prefixes):
        count = remaining - allotted if n == len(scenario.practices.ods_prefixes) - 1 else round(remaining * share / total)
        count = min(count, remaining - allotted)
        codes += [f"{prefix}{k + 1:0{width}d}" for k in range(count)]
        allotted += count
    return fixed + codes


def list_size(rng: random.Random, mean: int, sd: int) -> int:
    """A practice's list size: log-normal with this mean and spread, skewed to the right like England's."""
    if not sd:
        return mean
    sigma2 = math.log(1 + (sd / mean) ** 2)
    return round(rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))


def make_plan(scenario: Scenario, seed: int, as_of: date) -> Plan:
    sizes = random.Random(derive_seed(seed, "list-sizes"))
    practices, next_patient = [], 0
    for index, ods in enumerate(practice_ods_codes(scenario)):
        fixed = scenario.practices.fixed[index] if index < len(scenario.practices.fixed) else None
        wanted = list_size(sizes, scenario.practices.list_size.mean, scenario.practices.list_size.sd)
        floor = max(MIN_LIST_SIZE, len(fixed.patients) if fixed else 0) + sum(scenario.patients.special.values())
        size = max(wanted, floor)
        practices.append(PracticePlan(index, ods, derive_seed(seed, "practice", ods), size, next_patient, fixed))
        next_patient += size
    capacity = nhs_number_capacity(scenario.patients.nhs_number_range)
    if next_patient > capacity:
        raise ScenarioError(
            scenario.source, "patients.nhs_number_range",
            f"{next_patient} patients do not fit the {scenario.patients.nhs_number_range!r} range ({capacity} numbers); "
            "use nhs_number_range: '9' for national-scale datasets")
    codes = {p.ods_code for p in practices}
    if len(codes) != len(practices):
        raise ScenarioError(scenario.source, "practices.fixed", "two practices share an ODS code")
    consumers = tuple(c for c in scenario.consumers if c.ods not in codes)
    return Plan(scenario, seed, as_of, tuple(practices), consumers)
