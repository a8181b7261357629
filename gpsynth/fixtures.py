"""A generated dataset held in memory for tests: its FHIR resources, its records, and helpers to pick from it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import orjson

from .calendar import LONDON
from .dataset import OutputOptions, generate
from .fhir.constants import RESOURCE_TYPES
from .records import Organization, Patient, Shard, Slot
from .sinks.base import ShardOutput
from .scenario import Scenario


class MemorySink:
    """Keeps every shard's records and resources; used beside the file sinks."""

    needs = frozenset({"records"})

    def __init__(self) -> None:
        self.shards: list[Shard] = []
        self.resources: dict[str, dict[str, dict]] = {t: {} for t in RESOURCE_TYPES}

    def write(self, output: ShardOutput) -> None:
        self.shards.append(output.shard_records)
        for resource_type, texts in output.rendered.items():
            for text in texts.to_pylist():
                resource = orjson.loads(text)
                self.resources[resource_type][resource["id"]] = resource

    def close(self) -> dict[str, int]:
        return {t: len(r) for t, r in self.resources.items() if r}


@dataclass
class Dataset:
    """A generated dataset: files in `folder` (ndjson/ and json/), resources by type and id, records."""

    folder: Path
    as_of: date
    resources: dict[str, dict[str, dict]]
    shards: list[Shard] = field(repr=False)

    @classmethod
    def generate(cls, scenario: Scenario, seed: int, as_of: date, folder: Path) -> Dataset:
        memory = MemorySink()
        generate(scenario, seed, as_of, folder, options=OutputOptions(("json", "ndjson")), workers=1, overwrite=True,
                 extra_sinks=[memory])
        return cls(Path(folder), as_of, memory.resources, memory.shards)

    def __getitem__(self, resource_type: str) -> dict[str, dict]:
        return self.resources[resource_type]

    def resolve(self, reference: str) -> dict:
        """The resource a relative reference such as 'Slot/GPS0001-S12' points to."""
        resource_type, resource_id = reference.split("/", 1)
        return self.resources[resource_type][resource_id]

    def practices(self) -> list[Organization]:
        return [shard.organizations[0] for shard in self.shards if shard.locations]

    def free_slots(self, after: datetime | None = None, org_type: str | None = None, ods_code: str | None = None) -> list[Slot]:
        """Free, GP Connect bookable slots a consumer of this type and ODS code may book, in time order,
        starting from `after` (default: the start of the day after the reference date)."""
        after = after or datetime.combine(date.fromordinal(self.as_of.toordinal() + 1), time(0), tzinfo=LONDON)
        slots = [
            slot for shard in self.shards for slot in shard.slots
            if slot.status == "free" and slot.bookable and datetime.fromisoformat(slot.start) >= after
            and (not slot.restrict_org_types or org_type in slot.restrict_org_types)
            and (not slot.restrict_ods_codes or ods_code in slot.restrict_ods_codes)
        ]
        return sorted(slots, key=lambda s: (datetime.fromisoformat(s.start), s.id))

    def free_slot(self, rng: random.Random | None = None, **criteria) -> Slot:
        """The first free bookable slot (or a random one, given `rng`); criteria as for free_slots."""
        slots = self.free_slots(**criteria)
        if not slots:
            raise LookupError("the dataset has no free bookable slot matching these criteria")
        return rng.choice(slots) if rng else slots[0]

    def bookable_patient(self, rng: random.Random | None = None) -> Patient:
        """A patient with an active registration who is neither deceased nor sensitive."""
        patients = [p for shard in self.shards for p in shard.patients if p.state in ("normal", "no-appointments")]
        if not patients:
            raise LookupError("the dataset has no bookable patient")
        return rng.choice(patients) if rng else patients[0]

    def consumer_organisation(self, org_type: str = "urgent-care") -> Organization:
        """An organisation of this type that books into the practices and is not one of them."""
        practices = {p.id for p in self.practices()}
        for shard in self.shards:
            for organisation in shard.organizations:
                if organisation.org_type == org_type and organisation.id not in practices:
                    return organisation
        raise LookupError(f"the dataset has no {org_type} consumer organisation")
