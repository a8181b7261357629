"""Bulk rendering from columns writes exactly the bytes of orjson over the readable dict renderings, whatever the text."""

from __future__ import annotations

from datetime import date

import orjson
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gpsynth.fhir import RENDERERS, bulk, last_updated_for, render_shard
from gpsynth.fhir import slot as slot_profile
from gpsynth.fhir.constants import DELIVERY_CHANNELS, NHS_NUMBER_VERIFICATION, PRACTITIONER_ROLES, REGISTRATION_TYPES
from gpsynth.generate import practice_shard
from gpsynth.plan import make_plan
from gpsynth.store.rows import shard_rows
from gpsynth.records import (Address, Appointment, AppointmentColumns, BookingOrganisation, Patient, PatientColumns, Schedule,
                             Shard, Slot, SlotColumns)
from gpsynth.scenario import parse_scenario, preset_text

AS_OF = date(2026, 10, 21)  # the horizon holds the autumn clock change
STAMP = last_updated_for(AS_OF)


def dict_rendering(resource_type: str, records: list, schedules: list[Schedule] = ()) -> list[str]:
    if resource_type == "Slot":
        by_id = {s.id: s for s in schedules}
        return [orjson.dumps(slot_profile.render(r, by_id[r.schedule_id], STAMP)).decode() for r in records]
    return [orjson.dumps(RENDERERS[resource_type](r, STAMP)).decode() for r in records]


def test_a_generated_practice_renders_as_the_dict_renderings_do():
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"].update(count=1, list_size=400)
    rules["staff"][0]["slot_type"] = 'GP "same day" appointment \\ urgent'  # text that JSON must escape
    plan = make_plan(parse_scenario(rules, "pcn, one practice"), 4, AS_OF)
    shard = practice_shard(plan, plan.practices[0])
    rendered = render_shard(shard, STAMP)
    assert {slot.status for slot in shard.slots} == {"free", "busy", "busy-unavailable"}
    assert {slot.delivery_channel for slot in shard.slots} == {"In-person", "Telephone", "Video"}
    assert {p.state for p in shard.patients} >= {"normal", "deceased", "sensitive", "inactive"}
    assert any(a.cancellation_reason for a in shard.appointments) and any(a.comment for a in shard.appointments)
    for resource_type, records in shard.by_type().items():
        assert rendered[resource_type].to_pylist() == dict_rendering(resource_type, records, shard.schedules), resource_type


# Any text at all where free text goes: quotes, backslashes, control characters, other scripts, nothing.
text = st.text(max_size=12)
maybe = st.one_of(st.none(), text)
instants = st.sampled_from(["2026-03-29T02:30:00+01:00", "2026-10-25T01:30:00+01:00", "2026-11-25T09:00:00+00:00"])
addresses = st.builds(Address, st.lists(text, max_size=3).map(tuple), text, text, text)


@st.composite
def slots(draw):
    schedule = Schedule("S1", "P1", "L1", "O1", "R0260", draw(text), draw(text), "2026-11-01", "2026-11-30")
    records = draw(st.lists(st.builds(Slot, text, st.just("S1"), instants, instants, st.sampled_from(DELIVERY_CHANNELS),
                                      st.booleans(), st.just(()), st.just(()), st.sampled_from(["free", "busy", "busy-unavailable"])),
                            max_size=6))
    return records, [schedule]


patients = st.lists(st.builds(
    Patient, text, text, st.sampled_from(sorted(NHS_NUMBER_VERIFICATION)), text, text, text, text, text,
    st.one_of(st.none(), addresses), maybe, text, text, maybe, text, text, maybe, st.sampled_from(sorted(REGISTRATION_TYPES)),
    st.sampled_from(["normal", "deceased", "sensitive", "inactive", "no-appointments"]), maybe), max_size=6)

appointments = st.lists(st.builds(
    Appointment, text, st.sampled_from(["booked", "cancelled", "fulfilled", "noshow"]), st.lists(text, max_size=3).map(tuple),
    instants, instants, st.integers(0, 600), text, text, text, text, text, st.sampled_from(sorted(PRACTITIONER_ROLES)),
    st.sampled_from(DELIVERY_CHANNELS), text, text,
    st.builds(BookingOrganisation, text, text, st.sampled_from(["gp-practice", "urgent-care"]), text), text, maybe,
    instants, maybe), max_size=6)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(slots())
def test_any_slot_text_renders_as_the_dict_rendering_does(drawn):
    records, schedules = drawn
    assert bulk.slots(records, schedules, STAMP).to_pylist() == dict_rendering("Slot", records, schedules)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(patients)
def test_any_patient_text_renders_as_the_dict_rendering_does(records):
    assert bulk.patients(records, STAMP).to_pylist() == dict_rendering("Patient", records)
    columns = PatientColumns.from_records(records)
    assert list(columns) == records and columns[1:3] == records[1:3] and len(columns) == len(records)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(appointments)
def test_any_appointment_text_renders_as_the_dict_rendering_does(records):
    assert bulk.appointments(records, STAMP).to_pylist() == dict_rendering("Appointment", records)


def test_a_practice_without_slots_or_appointments_renders_and_stores_none():
    shard = Shard("GPS0001", slots=SlotColumns.concat([]), appointments=AppointmentColumns.concat([], []))
    rendered = render_shard(shard, STAMP)
    rows = shard_rows(1, shard, rendered, STAMP)
    assert len(rendered["Slot"]) == len(rendered["Appointment"]) == 0
    assert rows.tables["Slot"].num_rows == rows.tables["Appointment"].num_rows == 0


def test_slot_store_rows_hold_what_each_slot_record_says():
    plan = make_plan(parse_scenario(yaml.safe_load(preset_text("pcn")), "pcn"), 2, AS_OF)
    shard = practice_shard(plan, plan.practices[0])
    table = shard_rows(1, shard, render_shard(shard, STAMP), STAMP).tables["Slot"]
    records = list(shard.slots)
    assert any(slot.restrict_org_types for slot in records) and any(slot.restrict_ods_codes for slot in records)
    assert table.column("bookable").to_pylist() == [slot.bookable for slot in records]
    assert table.column("restrict_org_types").to_pylist() == [list(slot.restrict_org_types) for slot in records]
    assert table.column("restrict_ods_codes").to_pylist() == [list(slot.restrict_ods_codes) for slot in records]
    assert table.column("status").to_pylist() == [slot.status for slot in records]
