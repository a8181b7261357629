"""Resources checked against the fhir.resources STU3 models: all of them, or a seeded sample per type."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import orjson

from ..fhir import constants as c
from ..fhir.model_check import model_problem
from ..renditions import Problem
from .invariants import digest, identity


class ModelChecks:
    """Validate resources against the fhir.resources STU3 models: all of them, or a seeded sample per type."""

    def __init__(self, sample: int | None = None, seed: int = 0):
        self.sample, self.rng = sample, random.Random(seed)
        self.offered: Counter = Counter()
        self.reservoirs: dict[str, list[tuple[dict, str]]] = defaultdict(list)
        self.validated: set[bytes] = set()
        self.checked: Counter = Counter()
        self.problems: list[Problem] = []

    def offer(self, resource: dict, where: str) -> None:
        resource_type = str(resource.get("resourceType"))
        if resource_type not in c.RESOURCE_TYPES:
            return
        if self.sample is None:
            self._validate(resource, where)
            return
        self.offered[resource_type] += 1
        reservoir = self.reservoirs[resource_type]
        if len(reservoir) < self.sample:
            reservoir.append((resource, where))
        elif (slot := self.rng.randrange(self.offered[resource_type])) < self.sample:
            reservoir[slot] = (resource, where)

    def finish(self) -> list[Problem]:
        for resource_type in sorted(self.reservoirs):
            for resource, where in self.reservoirs.pop(resource_type):
                self._validate(resource, where)
        return self.problems

    def _validate(self, resource: dict, where: str) -> None:
        seen = digest(orjson.dumps(resource))
        if seen in self.validated:
            return
        self.validated.add(seen)
        resource_type, resource_id = identity(resource)
        self.checked[resource_type] += 1
        if message := model_problem(resource_type, resource):
            self.problems.append(Problem("model", where, resource_type, resource_id, message))
