"""FHIR STU3 renderings of gpsynth records, one module per GP Connect profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pyarrow as pa

from ..calendar import london_instant
from ..records import Shard
from . import appointment, bulk, location, organization, patient, practitioner, schedule
from .text import column, dumps

RENDERERS: dict[str, Callable[[Any, str], dict]] = {
    "Organization": organization.render,
    "Location": location.render,
    "Practitioner": practitioner.render,
    "Schedule": schedule.render,
    "Patient": patient.render,
    "Appointment": appointment.render,
}


def last_updated_for(as_of: date) -> str:
    """Generated resources are stamped with the start of the reference date."""
    return london_instant(as_of, time(0, 0))


def render_shard(shard: Shard, last_updated: str) -> dict[str, pa.Array]:
    """Every resource of a shard as compact JSON, one string per resource, by type, in output order."""
    rendered = {}
    for resource_type, records in shard.by_type().items():
        if resource_type == "Slot":
            rendered[resource_type] = bulk.slots(records, shard.schedules, last_updated)
        elif resource_type == "Patient":
            rendered[resource_type] = bulk.patients(records, last_updated)
        elif resource_type == "Appointment":
            rendered[resource_type] = bulk.appointments(records, last_updated)
        else:
            # A handful per practice: the readable dict renderings are fast enough.
            render = RENDERERS[resource_type]
            rendered[resource_type] = column(dumps(render(record, last_updated)) for record in records)
    return rendered
