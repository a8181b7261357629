"""GPConnect-Slot-1: a bookable (or booked) period of a schedule.

Datasets render slots in bulk (gpsynth.fhir.bulk); this readable form is what that must equal.
"""

from __future__ import annotations

from ..records import Schedule, Slot
from .common import delivery_channel_extension, meta, reference


def render(slot: Slot, schedule: Schedule, last_updated: str) -> dict:
    return {
        "resourceType": "Slot",
        "id": slot.id,
        "meta": meta("Slot", last_updated),
        "extension": [delivery_channel_extension(slot.delivery_channel)],
        "serviceType": [{"text": schedule.slot_type}],
        "schedule": reference("Schedule", slot.schedule_id),
        "status": slot.status,
        "start": slot.start,
        "end": slot.end,
    }
