"""GPConnect-Schedule-1: a clinician's rota at a surgery."""

from __future__ import annotations

from ..records import Schedule
from .common import meta, practitioner_role_extension, reference


def render(schedule: Schedule, last_updated: str) -> dict:
    return {
        "resourceType": "Schedule",
        "id": schedule.id,
        "meta": meta("Schedule", last_updated),
        "extension": [practitioner_role_extension(schedule.role_code)],
        "serviceCategory": {"text": schedule.schedule_type},
        "actor": [reference("Location", schedule.location_id), reference("Practitioner", schedule.practitioner_id)],
        "planningHorizon": {"start": schedule.planning_start, "end": schedule.planning_end},
    }
