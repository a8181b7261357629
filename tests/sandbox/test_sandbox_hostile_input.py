"""Hostile input the sandbox once answered with a 500: each is now a 4xx OperationOutcome with a GP Connect
error code, and a refused write leaves the store as it was."""

import time

import pytest
from gpc_requests import bearer, default_claims
from sandbox_process import booking, days_ahead, entries, outcome_code

from gpsynth.sandbox.interactions import BY_NAME

DEEP = 200  # levels of nesting; a FHIR resource needs fewer than 20


def nested_extension(depth: int) -> dict:
    extension = {"url": "https://example.org/leaf", "valueString": "x"}
    for _ in range(depth):
        extension = {"url": "https://example.org/nested", "extension": [extension]}
    return extension


def nested_xml_extension(depth: int) -> bytes:
    return ('<extension url="https://example.org/nested">' * depth + '<valueString value="x"/>'
            + "</extension>" * depth).encode()


@pytest.fixture(scope="module")
def pool(gpc):
    bundle = gpc.free_slots(days_ahead(2), days_ahead(6)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    return [(slot, schedules[slot["schedule"]["reference"].split("/")[1]]) for slot in entries(bundle, "Slot")[::3]]


def free_slot_ids(gpc) -> set[str]:
    return {s["id"] for s in entries(gpc.free_slots(days_ahead(2), days_ahead(6)).json(), "Slot")}


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert outcome_code(response) == code


def test_a_deeply_nested_booking_is_refused_in_json_and_xml(gpc, pool):
    before = free_slot_ids(gpc)
    appointment = booking(*pool[0], extension=[nested_extension(DEEP)])
    refused(gpc.call("book_appointment", "/Appointment", json=appointment), 422, "INVALID_RESOURCE")
    xml = (b'<Appointment xmlns="http://hl7.org/fhir">' + nested_xml_extension(DEEP) + b'<status value="booked"/></Appointment>')
    refused(gpc.call("book_appointment", "/Appointment", content=xml, headers={"Content-Type": "application/fhir+xml"}),
            422, "INVALID_RESOURCE")
    assert free_slot_ids(gpc) == before


def test_a_deeply_nested_jwt_claim_is_refused(gpc):
    claims = default_claims(int(time.time()), BY_NAME["search_free_slots"].scope)
    claims["requesting_device"]["extension"] = [nested_extension(100)]  # deeper than 64, headers under 16 KB
    response = gpc.http.get(gpc.base + "/Slot", headers={**gpc.headers("search_free_slots"), "Authorization": bearer(claims)},
                            params={"status": "free", "start": f"ge{days_ahead(1)}", "end": f"le{days_ahead(2)}"})
    refused(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("element, value", [("start", 5), ("end", ["x"]), ("slot", "Slot/1"), ("participant", [1]),
                                            ("extension", 5), ("contained", [7]), ("created", {"a": 1})])
def test_a_booking_with_an_element_of_the_wrong_type_is_invalid(gpc, pool, element, value):
    before = free_slot_ids(gpc)
    response = gpc.call("book_appointment", "/Appointment", json={**booking(*pool[1]), element: value})
    refused(response, 422, "INVALID_RESOURCE")
    assert free_slot_ids(gpc) == before


@pytest.mark.parametrize("params", [
    {"start": "ge9999-12-30", "end": "le9999-12-31"},
    {"start": "ge0001-01-01", "end": "le0001-01-02"},
    {"start": f"ge{days_ahead(1)}", "end": "le9999-12-31"},
])
def test_slot_searches_at_the_ends_of_the_calendar_are_invalid_parameters(gpc, params):
    refused(gpc.call("search_free_slots", "/Slot", params={"status": "free", "_include": "Slot:schedule", **params}),
            422, "INVALID_PARAMETER")


def test_appointment_retrieval_at_the_end_of_the_calendar_is_an_invalid_parameter(gpc):
    response = gpc.call("retrieve_appointments", "/Patient/1/Appointment",
                        params=[("start", "ge9999-12-30"), ("start", "le9999-12-31")])
    refused(response, 422, "INVALID_PARAMETER")


@pytest.mark.parametrize("body", [
    {"resourceType": "Parameters", "parameter": [1]},
    {"resourceType": "Parameters", "parameter": "x"},
    {"resourceType": "Parameters", "parameter": [{"name": "registerPatient", "resource": 5}]},
    {"resourceType": "Parameters", "parameter": [{"name": 5}]},
])
def test_register_patient_with_malformed_parameters_is_refused(gpc, body):
    response = gpc.call("register_patient", "/Patient/$gpc.registerpatient", json=body)
    assert response.status_code in (400, 422), response.text
    assert outcome_code(response) in ("BAD_REQUEST", "INVALID_RESOURCE", "INVALID_PARAMETER")


def test_cancel_with_a_malformed_extension_is_invalid(gpc, pool):
    booked = gpc.call("book_appointment", "/Appointment", json=booking(*pool[2]))
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    for extension in (5, [5], [{"url": 5}]):
        response = gpc.call("cancel_appointment", f"/Appointment/{appointment['id']}",
                            json={**appointment, "status": "cancelled", "extension": extension},
                            headers={"If-Match": 'W/"1"'})
        refused(response, 422, "INVALID_RESOURCE")
    still = gpc.call("read_appointment", f"/Appointment/{appointment['id']}")
    assert still.json()["status"] == "booked" and still.headers["etag"] == 'W/"1"'


def test_an_xml_integer_of_thousands_of_digits_is_invalid(gpc, pool):
    xml = (b'<Appointment xmlns="http://hl7.org/fhir"><status value="booked"/><priority value="' + b"9" * 5000
           + b'"/></Appointment>')
    response = gpc.call("book_appointment", "/Appointment", content=xml, headers={"Content-Type": "application/fhir+xml"})
    refused(response, 422, "INVALID_RESOURCE")


def test_the_host_header_never_reaches_an_absolute_url(gpc, pool, server):
    response = gpc.call("book_appointment", "/Appointment", json=booking(*pool[3]), headers={"Host": "evil.example.org"})
    assert response.status_code == 201, response.text
    assert response.headers["location"].startswith(server.base() + "/Appointment/")
    found = gpc.call("find_patient", "/Patient", params={"identifier": "https://fhir.nhs.uk/Id/nhs-number|9690937286"},
                     headers={"Host": "evil.example.org"})
    assert "evil.example.org" not in found.text


def test_a_body_past_the_limit_is_413_before_it_is_read_whole(gpc, pool):
    before = free_slot_ids(gpc)
    huge = booking(*pool[4], identifier=[{"system": "https://example.org/id", "value": str(n)} for n in range(60_000)])
    response = gpc.call("book_appointment", "/Appointment", json=huge)
    refused(response, 413, "BAD_REQUEST")
    assert free_slot_ids(gpc) == before
    streamed = gpc.http.post(gpc.base + "/Appointment", content=iter([b"{" + b" " * 600_000] * 3),
                             headers={**gpc.headers("book_appointment"), "Content-Type": "application/fhir+json"})
    refused(streamed, 413, "BAD_REQUEST")


def test_headers_past_the_limit_are_431_with_an_outcome(gpc):
    response = gpc.call("search_free_slots", "/Slot", params={"status": "free", "_include": "Slot:schedule",
                                                              "start": f"ge{days_ahead(1)}", "end": f"le{days_ahead(2)}"},
                        headers={"X-Padding": "x" * 20_000})
    refused(response, 431, "BAD_REQUEST")
