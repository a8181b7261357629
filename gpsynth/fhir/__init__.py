"""FHIR STU3 renderings of gpsynth records, one module per GP Connect profile."""

from __future__ import annotations

from datetime import date, time

import orjson

from ..calendar import london_instant
from ..records import Shard
from . import appointment, location, organization, patient, practitioner, schedule
from .slot import SlotWriter

RENDERERS = {
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


def render_shard(shard: Shard, last_updated: str) -> dict[str, list[bytes]]:
    """Every resource of a shard as compact JSON bytes, by type, in output order."""
    rendered = {}
    for resource_type, records in shard.by_type().items():
        if resource_type == "Slot":
            writers = {s.id: SlotWriter(s, last_updated) for s in shard.schedules}
            rendered[resource_type] = [writers[slot.schedule_id](slot) for slot in records]
        else:
            render = RENDERERS[resource_type]
            rendered[resource_type] = [orjson.dumps(render(record, last_updated)) for record in records]
    return rendered
