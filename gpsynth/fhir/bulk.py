"""Slots, Patients and Appointments (nearly every resource of a dataset) rendered a shard at a time.

A type's records become Arrow columns, and every resource's JSON is joined from those columns and
shared fragments in a few Arrow compute calls, rather than one Python dict per resource. The
readable renderings of the profile modules (`slot.render`, `patient.render`, `appointment.render`)
remain the definition: the tests hold these to their `orjson.dumps` bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from operator import attrgetter

import pyarrow as pa
import pyarrow.compute as pc

from ..records import Appointment, Columns, Patient, PatientColumns, Schedule, Slot
from . import constants as c
from .appointment import BOOKING_ORGANISATION_ID
from .common import (coding, delivery_channel_extension, english_communication, meta,
                     practitioner_role_extension)
from .common import reference as reference_dict
from .organization import render_contained
from .patient import SENSITIVE
from .text import (Template, column, dumps, fragments, fragments_by_value, join, quoted, reference, references,
                   string_lists)


def field(records: Sequence, name: str) -> Sequence:
    """One field of every record (a column of records held as columns, as it is)."""
    if isinstance(records, Columns):
        return records.column(name)
    return list(map(attrgetter(name), records))


def values(records: Sequence, name: str, present_only: bool = False) -> pa.Array:
    """One text field of every record; with `present_only`, empty values as null (for elements omitted when empty)."""
    if isinstance(records, Columns):
        found = records.text(name)
        return pc.if_else(pc.equal(found, ""), pa.scalar(None, pa.string()), found) if present_only else found
    texts = field(records, name)
    return column([v or None for v in texts] if present_only else texts)


def slots(records: Sequence[Slot], schedules: Sequence[Schedule], last_updated: str) -> pa.Array:
    slot_types = {s.id: s.slot_type for s in schedules}
    schedule_ids = values(records, "schedule_id")
    return (Template()
            .text('{"resourceType":"Slot","id":').string(values(records, "id"))
            .text(f',"meta":{dumps(meta("Slot", last_updated))},"extension":')
            .json(fragments_by_value(values(records, "delivery_channel"), lambda channel: [delivery_channel_extension(channel)]))
            .text(',"serviceType":').json(fragments_by_value(schedule_ids, lambda schedule: [{"text": slot_types[schedule]}]))
            .text(',"schedule":').json(shared_reference("Schedule", schedule_ids))
            .text(',"status":').string(values(records, "status"))
            .text(',"start":').string(values(records, "start"))
            .text(',"end":').string(values(records, "end"))
            .text("}").build())


def shared_reference(resource_type: str, ids: pa.Array) -> pa.Array:
    """`{"reference":"Type/id"}` per row, for ids shared by many rows (rendered once per id)."""
    return fragments_by_value(ids, partial(reference_dict, resource_type))


def registration_type(code: str) -> dict:
    return {"url": "registrationType",
            "valueCodeableConcept": {"coding": [coding(c.CS_REGISTRATION_TYPE, code, c.REGISTRATION_TYPES[code])]}}


def nhs_number_verification(code: str) -> list[dict]:
    concept = {"coding": [coding(c.CS_NHS_NUMBER_VERIFICATION, code, c.NHS_NUMBER_VERIFICATION[code])]}
    return [{"url": c.EXT_NHS_NUMBER_VERIFICATION, "valueCodeableConcept": concept}]


def patients(records: Sequence[Patient], last_updated: str) -> pa.Array:
    if not isinstance(records, PatientColumns):
        records = PatientColumns.from_records(records)
    plain = meta("Patient", last_updated)
    text = partial(values, records)
    states = text("state")
    address = join('[{"use":"home","type":"physical","line":', string_lists(records.column("address_lines")),
                   ',"city":', quoted(text("address_city")), ',"district":', quoted(text("address_district")),
                   ',"postalCode":', quoted(text("address_postcode")), ',"country":"GBR"}]')
    return (Template()
            .text('{"resourceType":"Patient","id":').string(text("id"))
            .text(',"meta":').json(fragments_by_value(states, lambda s: {**plain, "security": SENSITIVE} if s == "sensitive" else plain))
            .text(f',"extension":[{{"url":{dumps(c.EXT_REGISTRATION_DETAILS)},"extension":'
                  '[{"url":"registrationPeriod","valuePeriod":{"start":').string(text("registration_start"))
            .optional(',"end":', quoted(text("registration_end", present_only=True)))
            .text("}},").json(fragments_by_value(text("registration_type"), registration_type))
            .text(',{"url":"preferredBranchSurgery","valueReference":')
            .json(shared_reference("Location", text("preferred_location_id")))
            .text(f'}}]}},{dumps(english_communication())}],"identifier":[{{"extension":')
            .json(fragments_by_value(text("verification_status"), nhs_number_verification))
            .text(f',"system":{dumps(c.NHS_NUMBER)},"value":').string(text("nhs_number"))
            .text('}],"active":').json(fragments_by_value(states, lambda s: s != "inactive"))
            .text(',"name":[{"use":"official","family":').string(text("family"))
            .text(',"given":[').string(text("given")).text("]")
            .optional(',"prefix":[', quoted(text("prefix", present_only=True)), "]")
            .text("}]")
            .optional(',"telecom":[{"system":"phone","value":', quoted(text("phone", present_only=True)),
                      ',"use":', quoted(text("phone_use")), "}]")
            .text(',"gender":').string(text("gender"))
            .text(',"birthDate":').string(text("birth_date"))
            .optional(',"deceasedDateTime":', quoted(text("deceased_at", present_only=True)))
            .optional(',"address":', address)
            .optional(',"generalPractitioner":[',
                      shared_reference("Practitioner", text("general_practitioner_id", present_only=True)), "]")
            .text(',"managingOrganization":').json(shared_reference("Organization", text("organization_id")))
            .text("}").build())


def appointments(records: Sequence[Appointment], last_updated: str) -> pa.Array:
    booking = {"url": c.EXT_BOOKING_ORGANISATION, "valueReference": {"reference": f"#{BOOKING_ORGANISATION_ID}"}}
    minutes = pc.cast(pa.array(field(records, "minutes"), pa.int64()), pa.string())
    return (Template()
            .text('{"resourceType":"Appointment","id":').string(values(records, "id"))
            .text(f',"meta":{dumps(meta("Appointment", last_updated))},"contained":')
            .json(fragments(field(records, "booking_organisation"),
                            lambda org: [render_contained(org, BOOKING_ORGANISATION_ID)], key=id))
            .text(f',"extension":[{dumps(booking)},').json(fragments_by_value(values(records, "role_code"), practitioner_role_extension))
            .text(",").json(fragments_by_value(values(records, "delivery_channel"), delivery_channel_extension))
            .optional(f',{{"url":{dumps(c.EXT_CANCELLATION_REASON)},"valueString":',
                      quoted(values(records, "cancellation_reason", present_only=True)), "}")
            .text('],"status":').string(values(records, "status"))
            .text(',"serviceCategory":{"text":').string(values(records, "schedule_type"))
            .text('},"serviceType":[{"text":').string(values(records, "slot_type"))
            .text('}],"description":').string(values(records, "description"))
            .text(',"start":').string(values(records, "start"))
            .text(',"end":').string(values(records, "end"))
            .text(',"minutesDuration":').json(minutes)
            .text(',"slot":').json(references("Slot", field(records, "slot_ids")))
            .text(',"created":').string(values(records, "created"))
            .optional(',"comment":', quoted(values(records, "comment", present_only=True)))
            .text(',"participant":[{"actor":').json(reference("Patient", values(records, "patient_id")))
            .text(',"status":"accepted"},{"actor":').json(shared_reference("Location", values(records, "location_id")))
            .text(',"status":"accepted"},{"actor":').json(shared_reference("Practitioner", values(records, "practitioner_id")))
            .text(',"status":"accepted"}]}').build())
