"""GPConnect-Appointment-1: a booking of one or more contiguous slots, with its booking organisation."""

from __future__ import annotations

from ..records import Appointment
from . import constants as c
from .common import delivery_channel_extension, meta, practitioner_role_extension, reference
from .organization import render_contained

BOOKING_ORGANISATION_ID = "1"


def render(appointment: Appointment, last_updated: str) -> dict:
    extensions = [
        {"url": c.EXT_BOOKING_ORGANISATION, "valueReference": {"reference": f"#{BOOKING_ORGANISATION_ID}"}},
        practitioner_role_extension(appointment.role_code),
        delivery_channel_extension(appointment.delivery_channel),
    ]
    if appointment.cancellation_reason:
        extensions.append({"url": c.EXT_CANCELLATION_REASON, "valueString": appointment.cancellation_reason})
    resource = {
        "resourceType": "Appointment",
        "id": appointment.id,
        "meta": meta("Appointment", last_updated),
        "contained": [render_contained(appointment.booking_organisation, BOOKING_ORGANISATION_ID)],
        "extension": extensions,
        "status": appointment.status,
        "serviceCategory": {"text": appointment.schedule_type},
        "serviceType": [{"text": appointment.slot_type}],
        "description": appointment.description,
        "start": appointment.start,
        "end": appointment.end,
        "minutesDuration": appointment.minutes,
        "slot": [reference("Slot", slot_id) for slot_id in appointment.slot_ids],
        "created": appointment.created,
    }
    if appointment.comment:
        resource["comment"] = appointment.comment
    resource["participant"] = [
        {"actor": reference("Patient", appointment.patient_id), "status": "accepted"},
        {"actor": reference("Location", appointment.location_id), "status": "accepted"},
        {"actor": reference("Practitioner", appointment.practitioner_id), "status": "accepted"},
    ]
    return resource
