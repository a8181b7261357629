"""GPConnect-Schedule-1: a clinician's rota at a surgery."""

from __future__ import annotations

from datetime import date

from ..calendar import DAY_END, DAY_START, london_instant
from ..records import Schedule
from .common import meta, practitioner_role_extension, reference


def planning_horizon(first_day: str, last_day: str) -> dict:
    """Schedule.planningHorizon: a Period of dateTimes with their offset (the profile's type), from the start of
    the first day to the end of the last, London time."""
    return {"start": london_instant(date.fromisoformat(first_day), DAY_START),
            "end": london_instant(date.fromisoformat(last_day), DAY_END)}


def render(schedule: Schedule, last_updated: str) -> dict:
    return {
        "resourceType": "Schedule",
        "id": schedule.id,
        "meta": meta("Schedule", last_updated),
        "extension": [practitioner_role_extension(schedule.role_code)],
        "serviceCategory": {"text": schedule.schedule_type},
        "actor": [reference("Location", schedule.location_id), reference("Practitioner", schedule.practitioner_id)],
        "planningHorizon": planning_horizon(schedule.planning_start, schedule.planning_end),
    }
