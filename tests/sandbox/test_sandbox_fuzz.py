"""Property-based fuzzing of the GP Connect interactions over HTTP: valid requests mutated (element types,
header values, body bytes, nesting, sizes, dates, JWT claims, query parameters), in JSON and XML, and
administration Bundles, are never answered with a 5xx, always with a GP Connect OperationOutcome when
refused, and a refused booking leaves every slot as it was."""

import json
import shutil
import time

import httpx
import pytest
from gpc_requests import bearer, default_claims
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_process import FHIR_XML, SandboxServer, booking, days_ahead, entries, outcome_code

from gpsynth.sandbox.fhirxml import resource_to_xml
from gpsynth.sandbox.interactions import BY_NAME

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["9999-12-31T23:59:59+00:00", "0001-01-01", "2026-13-45", "", "Slot/", "#1", "\x00"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=12)


@pytest.fixture(scope="module")
def pool(gpc):
    bundle = gpc.free_slots(days_ahead(2), days_ahead(6)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    return [(slot, schedules[slot["schedule"]["reference"].split("/")[1]]) for slot in entries(bundle, "Slot")]


def assert_answered(response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert outcome_code(response)


def mutate(value: dict, path: list, replacement):
    """A copy of `value` with the element at `path` (keys and list indexes) replaced."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: mutate(value.get(head), rest, replacement)}
    if isinstance(value, list) and value:
        index = head % len(value)
        return [*value[:index], mutate(value[index], rest, replacement), *value[index + 1:]]
    return replacement


def paths(value, prefix=()) -> list[list]:
    """Every element path of a JSON value."""
    found = [list(prefix)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def mutated_booking(pool, data) -> dict:
    """A valid booking of one of the pool's slots with one element (at any depth) replaced by any JSON value."""
    slot, schedule = pool[data.draw(st.integers(0, len(pool) - 1))]
    valid = booking(slot, schedule)
    return mutate(valid, data.draw(st.sampled_from(paths(valid)[1:])), data.draw(json_values))


def give_back(gpc, response) -> None:
    """Cancel what a mutation that is still a valid booking booked, so the slot is free for the next example."""
    if response.status_code != 201:
        return
    appointment = gpc.call("read_appointment", f"/Appointment/{response.headers['location'].split('/')[-3]}").json()
    appointment["extension"].append({"url": "https://fhir.nhs.uk/STU3/StructureDefinition/"
                                            "Extension-GPConnect-AppointmentCancellationReason-1",
                                     "valueString": "fuzzing"})
    cancelled = gpc.call("cancel_appointment", f"/Appointment/{appointment['id']}", json={**appointment, "status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.text


@FUZZ
@given(data=st.data())
def test_mutated_bookings_are_answered_without_a_5xx(gpc, pool, data):
    response = gpc.call("book_appointment", "/Appointment", json=mutated_booking(pool, data))
    assert_answered(response)
    give_back(gpc, response)


@FUZZ
@given(body=json_values)
def test_any_json_body_to_each_write_is_answered_without_a_5xx(gpc, body):
    for interaction, path in (("book_appointment", "/Appointment"), ("register_patient", "/Patient/$gpc.registerpatient"),
                              ("cancel_appointment", "/Appointment/A20047-A1")):
        assert_answered(gpc.call(interaction, path, json=body))
        if isinstance(body, dict):
            assert_answered(gpc.call(interaction, path, json={**body, "resourceType": "Appointment"}))


@FUZZ
@given(start=st.text(max_size=30), end=st.text(max_size=30), extra=st.dictionaries(st.text(max_size=10), st.text(max_size=20),
                                                                                   max_size=3))
def test_any_slot_search_parameters_are_answered_without_a_5xx(gpc, start, end, extra):
    response = gpc.call("search_free_slots", "/Slot", params={"status": "free", "_include": "Slot:schedule",
                                                              "start": start, "end": end, **extra})
    assert_answered(response)


@FUZZ
@given(data=st.data())
def test_mutated_jwt_claims_are_answered_without_a_5xx(gpc, data):
    claims = default_claims(int(time.time()), BY_NAME["search_free_slots"].scope)
    path = data.draw(st.sampled_from(paths(claims)[1:]))
    mutated = mutate(claims, path, data.draw(json_values))
    response = gpc.http.get(gpc.base + "/Slot", headers={**gpc.headers("search_free_slots"), "Authorization": bearer(mutated)},
                            params={"status": "free", "_include": "Slot:schedule", "start": f"ge{days_ahead(1)}",
                                    "end": f"le{days_ahead(2)}"})
    assert_answered(response)


@FUZZ
@given(data=st.data())
def test_mutated_bookings_in_xml_are_answered_without_a_5xx(gpc, pool, data):
    try:
        xml = resource_to_xml(mutated_booking(pool, data))
    except Exception:  # a mutation the XML writer cannot express is not a request anyone can send
        return
    response = gpc.call("book_appointment", "/Appointment", content=xml, headers={"Content-Type": FHIR_XML,
                                                                                  "Accept": "application/fhir+json"})
    assert_answered(response)
    give_back(gpc, response)


@pytest.fixture(scope="module")
def admin_server(provider_testing_store, tmp_path_factory):
    """A second sandbox, with --admin, on a store of its own."""
    folder = tmp_path_factory.mktemp("admin")
    store = folder / "gpsynth.duckdb"
    shutil.copyfile(provider_testing_store, store)
    server = SandboxServer(store, folder / "serve.log", "--admin").start()
    yield server
    server.stop()


@FUZZ
@given(data=st.data())
def test_mutated_admin_bundles_are_answered_without_a_5xx_and_refusals_store_nothing(admin_server, gpc, data):
    slot = entries(gpc.free_slots(days_ahead(2), days_ahead(2)).json(), "Slot")[0]
    valid = {"resourceType": "Bundle", "type": data.draw(st.sampled_from(["transaction", "batch"])),
             "entry": [{"resource": {**slot, "id": "fuzz-slot"}, "request": {"method": "PUT", "url": "Slot/fuzz-slot"}}]}
    body = mutate(valid, data.draw(st.sampled_from(paths(valid)[1:])), data.draw(json_values))
    base = f"{admin_server.origin}/_gpsynth/fhir"
    response = httpx.post(base, content=json.dumps(body), headers={"Content-Type": "application/fhir+json"}, timeout=30)
    assert response.status_code < 500, response.text
    assert response.json()["resourceType"] in ("Bundle", "OperationOutcome")
    if response.status_code >= 400:
        assert httpx.get(f"{base}/Slot/fuzz-slot", timeout=30).status_code in (200, 404)


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@FUZZ
@given(name=st.sampled_from(["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Accept", "Content-Type",
                             "Prefer", "If-Match", "Authorization"]),
       value=header_text, body=st.binary(max_size=200) | st.just(b'{"resourceType":"Appointment"}'))
def test_any_header_value_and_body_bytes_are_answered_without_a_5xx(gpc, name, value, body):
    """Headers and encodings: each SSP and HTTP header replaced by any printable value, with any body bytes."""
    headers = {**gpc.headers("book_appointment"), "Content-Type": "application/fhir+json;charset=utf-8", name: value}
    response = gpc.http.post(gpc.base + "/Appointment", content=body, headers=headers)
    assert_answered(response)
