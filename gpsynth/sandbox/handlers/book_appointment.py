"""Book an appointment: one free slot, or several contiguous slots of one schedule, for a patient of the practice.

The body is checked first (422 INVALID_RESOURCE for anything GP Connect does not allow); then the
slots and people it names are checked against the live book as it is at that moment and, if every
slot is still free (else 409 DUPLICATE_REJECTED), the slots become busy and the appointment is made,
as one change (see gpsynth.sandbox.live_book). The stored appointment looks like a generated one: the booking organisation contained
as `#1`, the schedule's PractitionerRole and the slots' DeliveryChannel, serviceCategory and
serviceType texts, and a practitioner participant from the schedule when the consumer sent none.
A booking organisation without a type is not held to organisation-type restrictions (GP Connect
sends the type only when the consumer searched with it); an ODS restriction always applies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from itertools import pairwise

import orjson

from ...fhir import constants as c
from ...fhir.common import delivery_channel_extension, practitioner_role_extension
from ...fhir.reading import contained, extension, identifier_value, reference_id
from ...store.columns import derive_columns
from ...store.live_rows import READ_COLUMNS, LiveRow, new_row
from ..appointment_checks import check_appointment
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..directory import Practice
from ..errors import DUPLICATE_REJECTED, INVALID_RESOURCE
from ..live_book import Rows
from ..provider import Provider
from ..slot_index import SlotIndex
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


@dataclass(frozen=True)
class BookedSlot:
    """One slot a booking names, as it is now: from the free-slot index, else as the store or live book holds it."""

    resource: dict
    status: str
    bookable: bool
    restrict_org_types: tuple[str, ...]
    restrict_ods_codes: tuple[str, ...]
    row: LiveRow


def booked_slot(slot_id: str, index: SlotIndex, stored: Rows, last_updated: str) -> BookedSlot | None:
    free = index.by_id.get(slot_id)
    if free is not None:
        return BookedSlot(orjson.loads(free.resource), "free", True, free.restrict_org_types, free.restrict_ods_codes,
                          free.row(last_updated))
    row = stored.get(slot_id)
    if row is None:
        return None
    columns = row.columns
    return BookedSlot(orjson.loads(row.resource), columns["status"], bool(columns["bookable"]),
                      tuple(columns.get("restrict_org_types") or ()), tuple(columns.get("restrict_ods_codes") or ()), row)


def _slots(request: BookingRequest, practice: Practice, schedules: Mapping, index: SlotIndex, stored: Rows,
           last_updated: str) -> list[BookedSlot]:
    """The booked slots in start order; 422 when one is unknown or they are not contiguous."""
    slots = []
    for slot_id in dict.fromkeys(request.slot_ids):
        slot = booked_slot(slot_id, index, stored, last_updated)
        schedule = schedules.get(slot.row.columns["schedule_id"]) if slot else None
        if slot is None or schedule is None or schedule.organization_id != practice.organization_id:
            raise INVALID_RESOURCE(f"Slot/{slot_id} is not a slot of this practice; book slots from a slot search")
        slots.append(slot)
    slots.sort(key=lambda slot: seconds(slot.resource["start"]))
    first = slots[0].resource
    for before, after in pairwise(s.resource for s in slots):
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


def _check_fit(sent: Mapping, request: BookingRequest, slots: list[BookedSlot], schedule, now: float,
               window: tuple[int, int]) -> None:
    """The appointment's times, place and texts agree with its slots, and the slots can be booked now by its booker."""
    first, last = slots[0].resource, slots[-1].resource
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
    for slot in slots:
        slot_id, org_types, ods_codes = slot.resource["id"], slot.restrict_org_types, slot.restrict_ods_codes
        if not slot.bookable:
            raise INVALID_RESOURCE(f"Slot/{slot_id} is not bookable through GP Connect")
        if ods_codes and org.ods_code not in ods_codes:
            raise INVALID_RESOURCE(f"Slot/{slot_id} is kept for {', '.join(ods_codes)}; the booking "
                                   f"organisation {org.ods_code} cannot book it")
        if org_types and org.org_type is not None and org.org_type not in org_types:
            raise INVALID_RESOURCE(f"Slot/{slot_id} is kept for {', '.join(org_types)} organisations; "
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


def appointment_resource(appointment_id: str, sent: Mapping, request: BookingRequest, slots: list[BookedSlot],
                         schedule) -> dict:
    first, last = slots[0].resource, slots[-1].resource
    channel = extension(first, c.EXT_DELIVERY_CHANNEL)
    participants = list(sent["participant"])
    if request.practitioner_id is None and schedule.practitioner_id:
        participants.append({"actor": {"reference": f"Practitioner/{schedule.practitioner_id}"}, "status": "accepted"})
    resource: dict[str, object] = {
        "resourceType": "Appointment",
        "id": appointment_id,
        "meta": {"profile": [c.PROFILE["Appointment"]]},
        "contained": [request.organisation.resource],
        "extension": [
            {"url": c.EXT_BOOKING_ORGANISATION, "valueReference": {"reference": f"#{BOOKING_ORGANISATION_ID}"}},
            practitioner_role_extension(schedule.role_code),
            *([delivery_channel_extension(channel["valueCode"])] if channel else []),
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
                     "slot": [{"reference": f"Slot/{slot.resource['id']}"} for slot in slots], "created": sent["created"]})
    if sent.get("comment"):
        resource["comment"] = sent["comment"]
    resource["participant"] = participants
    return resource


async def book_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    sent = request.sent_resource
    wanted = booking_request(sent)
    directory = provider.directory
    location = directory.locations.get(wanted.location_id)
    if location is None or location.organization_id != practice.organization_id:
        raise INVALID_RESOURCE(f"Location/{wanted.location_id} is not a location of {practice.ods_code}")
    window = provider.window.bounds(request.now)
    last_updated = london_instant(request.now)
    book = provider.book

    async def prepare() -> tuple[Rows, Rows]:
        patients, slots = await asyncio.gather(
            book.rows("Patient", [wanted.patient_id], READ_COLUMNS["Patient"]),
            book.rows("Slot", [i for i in wanted.slot_ids if i not in provider.slots.by_id]))
        return patients, slots

    def decide(prepared: tuple[Rows, Rows]) -> tuple[list[LiveRow], LiveRow]:
        patients, stored_slots = prepared
        patient = patients.get(wanted.patient_id)
        state = patient.columns.get("state") if patient is not None and practice.holds(patient) else None
        if state is None:
            raise INVALID_RESOURCE(f"Patient/{wanted.patient_id} is not a patient of {practice.ods_code}; "
                                   "find the patient by NHS number, or register them first")
        if state in ("deceased", "inactive"):
            raise INVALID_RESOURCE(f"Patient/{wanted.patient_id} is {state}; appointments can be booked "
                                   "for registered, living patients only")
        slots = _slots(wanted, practice, directory.schedules, provider.slots, stored_slots, last_updated)
        schedule = directory.schedules[slots[0].row.columns["schedule_id"]]
        _check_fit(sent, wanted, slots, schedule, request.now, window)
        taken = [slot.resource["id"] for slot in slots if slot.status != "free"]
        if taken:
            raise DUPLICATE_REJECTED(f"Slot/{', Slot/'.join(taken)} is no longer free; search for free slots again")
        busy = [slot.row.changed({**slot.resource, "status": "busy"}, last_updated, status="busy") for slot in slots]
        appointment_id = provider.new_id("Appointment", f"{practice.ods_code}-A")
        resource = appointment_resource(appointment_id, sent, wanted, slots, schedule)
        columns = {**derive_columns("Appointment", resource), "schedule_id": schedule.id,
                   "organization_id": practice.organization_id}
        appointment = new_row("Appointment", resource, last_updated, practice.shard, columns)
        provider.slots.remove(slot.row.id for slot in slots)
        return [*busy, appointment], appointment

    booked = await book.change(prepare, decide)
    headers = {"Location": f"{request.service_root}/Appointment/{booked.id}/_history/{booked.version_id}",
               "ETag": weak_etag(booked.version_id), "Last-Modified": formatdate(request.now, usegmt=True)}
    return GpcResponse(body(booked.resource, request.response_format), status=201, headers=headers)
