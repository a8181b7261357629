"""Book an appointment: one free slot, or several contiguous slots of one schedule, for a patient of the practice.

The body is checked first (422 INVALID_RESOURCE for anything GP Connect does not allow); then, in
the one writer, the slots and people it names are checked against the store and, if every slot is
still free (else 409 DUPLICATE_REJECTED), the slots become busy and the appointment is stored, in one
transaction. The stored appointment looks like a generated one: the booking organisation contained
as `#1`, the schedule's PractitionerRole and the slots' DeliveryChannel, serviceCategory and
serviceType texts, and a practitioner participant from the schedule when the consumer sent none.
A booking organisation without a type is not held to organisation-type restrictions (GP Connect
sends the type only when the consumer searched with it); an ODS restriction always applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate

import duckdb
import orjson

from ...fhir import constants as c
from ...fhir.common import delivery_channel_extension, practitioner_role_extension
from ...store import insert_resource, update_resource
from ...store.columns import contained, derive_columns, extension, identifier_value, reference_id
from ..appointment_checks import check_appointment
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..directory import Practice
from ..errors import DUPLICATE_REJECTED, INVALID_RESOURCE
from ..provider import Provider
from ..times import london_instant, seconds
from .search_free_slots import ORGANISATION_TYPE_SYSTEMS

BOOKING_ORGANISATION_ID = "1"


@dataclass(frozen=True)
class BookingOrganisation:
    ods_code: str
    org_type: str | None
    resource: dict


@dataclass(frozen=True)
class BookingRequest:
    """What a booking asks for, read from a body that passed the checks."""

    slot_ids: tuple[str, ...]
    patient_id: str
    location_id: str
    practitioner_id: str | None
    organisation: BookingOrganisation


def booking_organisation(sent: Mapping) -> BookingOrganisation:
    found = extension(sent, c.EXT_BOOKING_ORGANISATION)
    if found is None:
        raise INVALID_RESOURCE(f"The booking organisation extension {c.EXT_BOOKING_ORGANISATION} is required")
    org = contained(sent, found.get("valueReference"))
    if org.get("resourceType") != "Organization":
        raise INVALID_RESOURCE("The booking organisation extension must reference a contained Organization, e.g. #1")
    ods_code = identifier_value(org, c.ODS_ORGANIZATION)
    if not ods_code:
        raise INVALID_RESOURCE(f"The booking organisation needs an identifier with system {c.ODS_ORGANIZATION}")
    if not org.get("name"):
        raise INVALID_RESOURCE("The booking organisation needs a name")
    if not any(t.get("system") == "phone" and t.get("value") for t in org.get("telecom") or ()):
        raise INVALID_RESOURCE("The booking organisation needs a telecom with system phone")
    org_type = None
    for concept in org.get("type") or ():
        for coding in concept.get("coding") or ():
            if coding.get("system") not in ORGANISATION_TYPE_SYSTEMS or coding.get("code") not in c.ORGANISATION_TYPES:
                raise INVALID_RESOURCE(f"The booking organisation type must be a code of {c.CS_ORGANISATION_TYPE}: "
                                       f"{', '.join(c.ORGANISATION_TYPES)}")
            org_type = coding["code"]
    resource = {**org, "id": BOOKING_ORGANISATION_ID}
    resource.setdefault("meta", {"profile": [c.PROFILE["Organization"]]})
    return BookingOrganisation(ods_code, org_type, resource)


def booking_request(sent: Mapping) -> BookingRequest:
    """The checked body as a booking request; 422 INVALID_RESOURCE naming what is missing or wrong."""
    check_appointment(sent)
    if "id" in sent:
        raise INVALID_RESOURCE("Appointment.id must not be sent when booking; the provider assigns the id")
    if sent.get("status") != "booked":
        raise INVALID_RESOURCE(f"Appointment.status is {sent.get('status')}; a booking has status booked")
    for name in ("start", "end", "created"):
        if not sent.get(name):
            raise INVALID_RESOURCE(f"Appointment.{name} is required when booking")
    slot_ids = []
    for i, slot in enumerate(sent.get("slot") or ()):
        slot_id = reference_id(slot, "Slot")
        if slot_id is None:
            raise INVALID_RESOURCE(f"Appointment.slot[{i}] must reference a Slot, e.g. Slot/1")
        slot_ids.append(slot_id)
    if not slot_ids:
        raise INVALID_RESOURCE("Appointment.slot is required: the slots from a slot search")
    actors: dict[str, list[str]] = {}
    for i, participant in enumerate(sent.get("participant") or ()):
        reference = (participant.get("actor") or {}).get("reference")
        if not reference:
            raise INVALID_RESOURCE(f"Appointment.participant[{i}] needs an actor reference")
        kind, _, actor_id = reference.partition("/")
        actors.setdefault(kind, []).append(actor_id)
    for kind in ("Patient", "Location"):
        if len(actors.get(kind, ())) != 1:
            raise INVALID_RESOURCE(f"Appointment.participant needs exactly one {kind} participant, "
                                   f"e.g. {{\"actor\": {{\"reference\": \"{kind}/1\"}}, \"status\": \"accepted\"}}")
    practitioners = actors.get("Practitioner", [])
    if len(practitioners) > 1:
        raise INVALID_RESOURCE("Appointment.participant names more than one Practitioner")
    return BookingRequest(tuple(slot_ids), actors["Patient"][0], actors["Location"][0],
                   practitioners[0] if practitioners else None, booking_organisation(sent))


SLOTS_SQL = """
    SELECT id, status, bookable, restrict_org_types, restrict_ods_codes, resource, schedule_id
    FROM slot WHERE shard = ? AND list_contains(?, id)
"""


def _slots(con: duckdb.DuckDBPyConnection, request: BookingRequest, practice: Practice,
           schedules: Mapping) -> list[tuple[dict, tuple]]:
    """The booked slots in start order, each as (resource, row); 422 when one is unknown or not contiguous."""
    rows = {row[0]: row for row in con.execute(SLOTS_SQL, [practice.shard, list(request.slot_ids)]).fetchall()}
    slots = []
    for slot_id in dict.fromkeys(request.slot_ids):
        row = rows.get(slot_id)
        schedule = schedules.get(row[6]) if row else None
        if schedule is None or schedule.organization_id != practice.organization_id:
            raise INVALID_RESOURCE(f"Slot/{slot_id} is not a slot of this practice; book slots from a slot search")
        slots.append((orjson.loads(row[5]), row))
    slots.sort(key=lambda pair: seconds(pair[0]["start"]))
    first = slots[0][0]
    for (before, _), (after, _) in zip(slots, slots[1:]):
        if after["schedule"] != first["schedule"]:
            raise INVALID_RESOURCE(f"Slot/{after['id']} and Slot/{first['id']} are in different schedules; "
                                   "the slots of one appointment must be contiguous slots of one schedule")
        if seconds(after["start"]) != seconds(before["end"]):
            raise INVALID_RESOURCE(f"Slot/{after['id']} does not start when Slot/{before['id']} ends; "
                                   "the slots of one appointment must be contiguous")
        if after.get("extension") != first.get("extension") or after.get("serviceType") != first.get("serviceType"):
            raise INVALID_RESOURCE(f"Slot/{after['id']} and Slot/{first['id']} differ in delivery channel or slot type; "
                                   "the slots of one appointment must share them")
    return slots


def _check_fit(sent: Mapping, request: BookingRequest, slots: list[tuple[dict, tuple]], schedule, now: float,
               window: tuple[int, int]) -> None:
    """The appointment's times, place and texts agree with its slots, and the slots can be booked now by its booker."""
    first, last = slots[0][0], slots[-1][0]
    start, end = seconds(first["start"]), seconds(last["end"])
    for name, expected in (("start", first["start"]), ("end", last["end"])):
        try:
            matches = seconds(sent[name]) == seconds(expected)
        except ValueError:
            matches = False
        if not matches:
            raise INVALID_RESOURCE(f"Appointment.{name} {sent[name]} must equal the {name} of its "
                                   f"{'first' if name == 'start' else 'last'} slot, {expected}")
    if "minutesDuration" in sent and sent["minutesDuration"] != (end - start) // 60:
        raise INVALID_RESOURCE(f"Appointment.minutesDuration {sent['minutesDuration']} must be {(end - start) // 60}, "
                               "the length of its slots")
    if start <= now:
        raise INVALID_RESOURCE(f"Slot/{first['id']} starts at {first['start']}, in the past; only future slots can be booked")
    earliest, latest = window
    if not earliest <= start <= latest:
        raise INVALID_RESOURCE(f"Slot/{first['id']} at {first['start']} is outside the practice's booking window "
                               f"({london_instant(earliest)} to {london_instant(latest)})")
    org = request.organisation
    for resource, (_, _, bookable, org_types, ods_codes, _, _) in slots:
        if not bookable:
            raise INVALID_RESOURCE(f"Slot/{resource['id']} is not bookable through GP Connect")
        if ods_codes and org.ods_code not in ods_codes:
            raise INVALID_RESOURCE(f"Slot/{resource['id']} is kept for {', '.join(ods_codes)}; the booking "
                                   f"organisation {org.ods_code} cannot book it")
        if org_types and org.org_type is not None and org.org_type not in org_types:
            raise INVALID_RESOURCE(f"Slot/{resource['id']} is kept for {', '.join(org_types)} organisations; "
                                   f"the booking organisation is {org.org_type}")
    if request.location_id != schedule.location_id:
        raise INVALID_RESOURCE(f"Location/{request.location_id} is not where Slot/{first['id']} is held "
                               f"(Location/{schedule.location_id})")
    if request.practitioner_id is not None and request.practitioner_id != schedule.practitioner_id:
        raise INVALID_RESOURCE(f"Practitioner/{request.practitioner_id} does not hold Slot/{first['id']} "
                               f"(Practitioner/{schedule.practitioner_id})")
    channel = extension(sent, c.EXT_DELIVERY_CHANNEL)
    slot_channel = extension(first, c.EXT_DELIVERY_CHANNEL)
    if channel and slot_channel and channel.get("valueCode") != slot_channel.get("valueCode"):
        raise INVALID_RESOURCE(f"The delivery channel {channel.get('valueCode')} is not the slot's "
                               f"({slot_channel.get('valueCode')})")
    # serviceCategory and serviceType are the provider's to populate (from the schedule and the slots): what a
    # consumer sends there is replaced, not checked (see appointment_resource).


def appointment_resource(appointment_id: str, sent: Mapping, request: BookingRequest, slots: list[tuple[dict, tuple]],
                         schedule) -> dict:
    first, last = slots[0][0], slots[-1][0]
    participants = list(sent["participant"])
    if request.practitioner_id is None and schedule.practitioner_id:
        participants.append({"actor": {"reference": f"Practitioner/{schedule.practitioner_id}"}, "status": "accepted"})
    resource = {
        "resourceType": "Appointment",
        "id": appointment_id,
        "meta": {"profile": [c.PROFILE["Appointment"]]},
        "contained": [request.organisation.resource],
        "extension": [
            {"url": c.EXT_BOOKING_ORGANISATION, "valueReference": {"reference": f"#{BOOKING_ORGANISATION_ID}"}},
            practitioner_role_extension(schedule.role_code),
            delivery_channel_extension(extension(first, c.EXT_DELIVERY_CHANNEL)["valueCode"]),
        ],
    }
    if sent.get("identifier"):
        resource["identifier"] = sent["identifier"]
    resource.update({"status": "booked", "serviceCategory": {"text": schedule.schedule_type},
                     "serviceType": [{"text": first["serviceType"][0]["text"]}]})
    if "priority" in sent:
        resource["priority"] = sent["priority"]
    resource.update({"description": sent["description"], "start": first["start"], "end": last["end"],
                     "minutesDuration": (seconds(last["end"]) - seconds(first["start"])) // 60,
                     "slot": [{"reference": f"Slot/{slot['id']}"} for slot, _ in slots], "created": sent["created"]})
    if sent.get("comment"):
        resource["comment"] = sent["comment"]
    resource["participant"] = participants
    return resource


@dataclass(frozen=True)
class Booked:
    appointment: bytes
    version_id: int
    slot_ids: tuple[str, ...]


async def book_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    sent = request.body
    wanted = booking_request(sent)
    directory = provider.directory
    location = directory.locations.get(wanted.location_id)
    if location is None or location.organization_id != practice.organization_id:
        raise INVALID_RESOURCE(f"Location/{wanted.location_id} is not a location of {practice.ods_code}")
    window = provider.window.bounds(request.now)
    last_updated = london_instant(request.now)

    def book(con: duckdb.DuckDBPyConnection) -> Booked:
        patient = con.execute("SELECT state FROM patient WHERE shard = ? AND id = ? AND organization_id = ?",
                              [practice.shard, wanted.patient_id, practice.organization_id]).fetchall()
        if not patient:
            raise INVALID_RESOURCE(f"Patient/{wanted.patient_id} is not a patient of {practice.ods_code}; "
                                   "find the patient by NHS number, or register them first")
        if patient[0][0] in ("deceased", "inactive"):
            raise INVALID_RESOURCE(f"Patient/{wanted.patient_id} is {patient[0][0]}; appointments can be booked "
                                   "for registered, living patients only")
        slots = _slots(con, wanted, practice, directory.schedules)
        schedule = directory.schedules.get(slots[0][0]["schedule"]["reference"].partition("/")[2])
        if schedule is None:
            raise INVALID_RESOURCE(f"Slot/{slots[0][0]['id']} belongs to no schedule of {practice.ods_code}")
        _check_fit(sent, wanted, slots, schedule, request.now, window)
        taken = [resource["id"] for resource, row in slots if row[1] != "free"]
        if taken:
            raise DUPLICATE_REJECTED(f"Slot/{', Slot/'.join(taken)} is no longer free; search for free slots again")
        appointment_id = provider.new_id(con, "Appointment", f"{practice.ods_code}-A")
        for resource, _ in slots:
            update_resource(con, "Slot", {**resource, "status": "busy"}, last_updated, practice.shard, status="busy")
        resource = appointment_resource(appointment_id, sent, wanted, slots, schedule)
        columns = {**derive_columns("Appointment", resource), "schedule_id": schedule.id,
                   "organization_id": practice.organization_id}
        stored = insert_resource(con, "Appointment", resource, last_updated, practice.shard, **columns)
        return Booked(stored, 1, tuple(slot["id"] for slot, _ in slots))

    booked = await provider.store.write(book, lambda done: provider.slots.remove(done.slot_ids))
    appointment_id = orjson.loads(booked.appointment)["id"]
    headers = {"Location": f"{request.service_root}/Appointment/{appointment_id}/_history/{booked.version_id}",
               "ETag": weak_etag(booked.version_id), "Last-Modified": formatdate(request.now, usegmt=True)}
    return GpcResponse(body(booked.appointment, request.response_format), status=201, headers=headers)
