"""Book, read, retrieve, amend and cancel over HTTP, with every refusal GP Connect asks for."""

import copy
from itertools import pairwise

import httpx
import orjson
import pytest
from sandbox_process import FHIR_JSON, FHIR_XML, SD, SandboxServer, booking, days_ahead, entries, outcome_code

from gpsynth.sandbox.fhirxml import resource_from_xml, resource_to_xml
from gpsynth.store import open_store

REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"


@pytest.fixture(scope="module")
def past_slot(store_copy):
    """A free slot of three days ago with its schedule, read before the server takes the store."""
    con = open_store(store_copy)
    try:
        slot, schedule = con.execute(
            "SELECT s.resource, sc.resource FROM slot s JOIN schedule sc ON sc.id = s.schedule_id "
            "WHERE s.status = 'free' AND s.bookable AND s.start < now() - INTERVAL 3 DAY ORDER BY s.start DESC "
            "LIMIT 1").fetchall()[0]
    finally:
        con.close()
    return orjson.loads(slot), orjson.loads(schedule)


@pytest.fixture(scope="module")
def server(store_copy, past_slot, tmp_path_factory):
    server = SandboxServer(store_copy, tmp_path_factory.mktemp("log") / "serve.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pool(gpc):
    """Free slots (with their schedules) from day +2 to +6, handed out one test at a time."""
    bundle = gpc.free_slots(days_ahead(2), days_ahead(6)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    slots = entries(bundle, "Slot")
    return [(slot, schedules[slot["schedule"]["reference"].split("/")[1]]) for slot in slots[::3]]


@pytest.fixture
def free(pool):
    return pool.pop(0)


def book(gpc, appointment, **kw) -> httpx.Response:
    return gpc.call("book_appointment", "/Appointment", json=appointment, **kw)


def booked(gpc, free, **changes) -> dict:
    response = book(gpc, booking(*free, **changes))
    assert response.status_code == 201, response.text
    return response.json()


def free_slot_ids(gpc, day) -> set[str]:
    return {s["id"] for s in entries(gpc.free_slots(day, day).json(), "Slot")}


def test_book_one_slot(gpc, free, server):
    slot, schedule = free
    response = book(gpc, booking(slot, schedule, comment="Patient prefers a morning call."))
    assert response.status_code == 201 and response.headers["content-type"] == FHIR_JSON
    appointment = response.json()
    assert response.headers["location"] == f"{server.base()}/Appointment/{appointment['id']}/_history/1"
    assert response.headers["etag"] == 'W/"1"' and response.headers["last-modified"].endswith("GMT")
    assert appointment["meta"]["versionId"] == "1" and appointment["status"] == "booked"
    assert appointment["start"] == slot["start"] and appointment["end"] == slot["end"]
    assert appointment["contained"][0]["id"] == "1" and appointment["contained"][0]["name"] == "Test Suite Validator"
    urls = [e["url"].rsplit("/", 1)[1] for e in appointment["extension"]]
    assert urls == ["Extension-GPConnect-BookingOrganisation-1", "Extension-GPConnect-PractitionerRole-1",
                    "Extension-GPConnect-DeliveryChannel-2"]
    assert appointment["serviceCategory"]["text"] == schedule["serviceCategory"]["text"]
    assert appointment["serviceType"][0]["text"] == slot["serviceType"][0]["text"]
    actors = [p["actor"]["reference"].split("/")[0] for p in appointment["participant"]]
    assert actors == ["Patient", "Location", "Practitioner"]
    assert appointment["comment"] == "Patient prefers a morning call."
    day = slot["start"][:10]
    assert slot["id"] not in free_slot_ids(gpc, day), "a booked slot is no longer offered"
    read = gpc.call("read_appointment", f"/Appointment/{appointment['id']}")
    assert read.status_code == 200 and read.json() == appointment and read.headers["etag"] == 'W/"1"'


def test_a_taken_slot_is_409(gpc, free):
    booked(gpc, free)
    again = book(gpc, booking(*free, description="Second try"))
    assert again.status_code == 409 and outcome_code(again) == "DUPLICATE_REJECTED"


def test_contiguous_slots(gpc):
    bundle = gpc.free_slots(days_ahead(7), days_ahead(7)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    by_schedule = {}
    for slot in entries(bundle, "Slot"):
        by_schedule.setdefault(slot["schedule"]["reference"], []).append(slot)
    first, second, apart = next((a, b, day[-1]) for day in by_schedule.values() for a, b in pairwise(day)
                                if a["end"] == b["start"] and a["extension"] == b["extension"] and day[-1]["start"] > b["end"])
    schedule = schedules[first["schedule"]["reference"].split("/")[1]]
    gap = book(gpc, booking(first, schedule, slot=[{"reference": f"Slot/{first['id']}"},
                                                   {"reference": f"Slot/{apart['id']}"}], end=apart["end"]))
    assert gap.status_code == 422 and outcome_code(gap) == "INVALID_RESOURCE"
    two = booking(first, schedule, end=second["end"],
                  slot=[{"reference": f"Slot/{first['id']}"}, {"reference": f"Slot/{second['id']}"}])
    appointment = book(gpc, two).json()
    assert [s["reference"] for s in appointment["slot"]] == [f"Slot/{first['id']}", f"Slot/{second['id']}"]
    assert appointment["end"] == second["end"] and appointment["minutesDuration"] == 20
    assert not {first["id"], second["id"]} & free_slot_ids(gpc, days_ahead(7))


def _drop_participant(kind):
    return lambda a: a.update(participant=[p for p in a["participant"] if not p["actor"]["reference"].startswith(kind)])


@pytest.mark.parametrize("name, change", [
    ("reason", lambda a: a.update(reason=[{"text": "Cough"}])),
    ("specialty", lambda a: a.update(specialty={"text": "General practice"})),
    ("appointmentType", lambda a: a.update(appointmentType={"text": "Routine"})),
    ("id", lambda a: a.update(id="123")),
    ("unknown element", lambda a: a.update(colour="blue")),
    ("no patient", _drop_participant("Patient")),
    ("no location", _drop_participant("Location")),
    ("no participants", lambda a: a.pop("participant")),
    ("no slot", lambda a: a.pop("slot")),
    ("no start", lambda a: a.pop("start")),
    ("no created", lambda a: a.pop("created")),
    ("status proposed", lambda a: a.update(status="proposed")),
    ("description too long", lambda a: a.update(description="x" * 101)),
    ("comment too long", lambda a: a.update(comment="x" * 501)),
    ("absolute reference", lambda a: a["participant"][0]["actor"].update(reference="https://x.example/Patient/1")),
    ("unknown slot", lambda a: a.update(slot=[{"reference": "Slot/no-such-slot"}])),
    ("start not the slot's", lambda a: a.update(start=a["end"])),
    ("booking org without phone", lambda a: a["contained"][0].pop("telecom")),
    ("booking org without name", lambda a: a["contained"][0].pop("name")),
    ("no booking org", lambda a: a.update(extension=a["extension"][1:])),
    ("unknown patient", lambda a: a["participant"][0]["actor"].update(reference="Patient/999999")),
    ("deceased patient", lambda a: a["participant"][0]["actor"].update(reference="Patient/18")),
    ("wrong location", lambda a: a["participant"][1]["actor"].update(reference="Location/INVSC1")),
    ("wrong channel", lambda a: a["extension"][1].update(valueCode="Video" if a["extension"][1]["valueCode"] != "Video"
                                                          else "Telephone")),
    ("no profile", lambda a: a.pop("meta")),
])
def test_booking_refusals(gpc, pool, name, change):
    slot, schedule = pool[0]
    appointment = booking(slot, schedule)
    change(appointment)
    response = book(gpc, appointment)
    assert (response.status_code, outcome_code(response)) == (422, "INVALID_RESOURCE"), name
    assert slot["id"] in free_slot_ids(gpc, slot["start"][:10]), "a refused booking leaves the slot free"


def test_a_past_slot_cannot_be_booked(gpc, past_slot):
    response = book(gpc, booking(*past_slot))
    assert response.status_code == 422 and outcome_code(response) == "INVALID_RESOURCE"
    assert "past" in response.json()["issue"][0]["diagnostics"]


def test_book_in_xml_and_answer_minimal(gpc, pool):
    slot, schedule = pool.pop(0)
    xml = book(gpc, None, content=resource_to_xml(booking(slot, schedule)),
               headers={"Content-Type": "application/fhir+xml", "Accept": "application/fhir+xml"})
    assert xml.status_code == 201 and xml.headers["content-type"] == FHIR_XML
    assert resource_from_xml(xml.content)["start"] == slot["start"]
    slot, schedule = pool.pop(0)
    minimal = book(gpc, booking(slot, schedule), headers={"Prefer": "return=minimal"})
    assert minimal.status_code == 201 and minimal.content == b"" and minimal.headers["etag"] == 'W/"1"'
    assert "/Appointment/" in minimal.headers["location"]


def test_read_appointment_errors(gpc):
    missing = gpc.call("read_appointment", "/Appointment/no-such-appointment")
    assert missing.status_code == 404 and outcome_code(missing) == "NO_RECORD_FOUND"
    past = gpc.call("read_appointment", "/Appointment/A20047-A1")      # the first generated one, a week ago
    assert past.status_code == 422 and "past" in past.json()["issue"][0]["diagnostics"]


def test_retrieve_a_patients_appointments(gpc, pool):
    slot, schedule = pool.pop(0)
    mine = booked(gpc, (slot, schedule), **{"participant": booking(slot, schedule, patient_id="7")["participant"]})
    day = slot["start"][:10]
    response = gpc.call("retrieve_appointments", "/Patient/7/Appointment",
                        params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{day}")])
    assert response.status_code == 200
    found = entries(response.json())
    assert mine["id"] in {a["id"] for a in found} and all(a["resourceType"] == "Appointment" for a in found)
    assert all(any(p["actor"]["reference"] == "Patient/7" for p in a["participant"]) for a in found)
    none = gpc.call("retrieve_appointments", "/Patient/20/Appointment",
                    params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{days_ahead(14)}")])
    assert none.status_code == 200 and "entry" not in none.json()


@pytest.mark.parametrize("params, status, code", [
    ([("start", "ge{today}")], 422, "INVALID_PARAMETER"),
    ([("start", "ge{yesterday}"), ("start", "le{week}")], 422, "INVALID_PARAMETER"),
    ([("start", "ge{week}"), ("start", "le{today}")], 422, "INVALID_PARAMETER"),
    ([("start", "ge{today}T10:00:00+00:00"), ("start", "le{week}")], 422, "INVALID_PARAMETER"),
    ([("start", "gt{today}"), ("start", "le{week}")], 422, "INVALID_PARAMETER"),
    ([("start", "ge{today}"), ("start", "le2026-02-30")], 422, "INVALID_PARAMETER"),
])
def test_retrieve_errors(gpc, params, status, code):
    dates = {"today": days_ahead(0), "yesterday": days_ahead(-1), "week": days_ahead(7)}
    query = [(name, value.format(**dates)) for name, value in params]
    response = gpc.call("retrieve_appointments", "/Patient/1/Appointment", params=query)
    assert (response.status_code, outcome_code(response)) == (status, code)
    unknown = gpc.call("retrieve_appointments", "/Patient/404/Appointment",
                       params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{days_ahead(7)}")])
    assert unknown.status_code == 404 and outcome_code(unknown) == "PATIENT_NOT_FOUND"


def amend(gpc, appointment, version=None, **kw):
    headers = {"If-Match": f'W/"{version or appointment["meta"]["versionId"]}"'}
    return gpc.call("amend_appointment", f"/Appointment/{appointment['id']}", json=appointment, headers=headers, **kw)


def test_amend_description_and_comment(gpc, free):
    appointment = booked(gpc, free, comment="First comment")
    changed = {**appointment, "description": "Changed description", "comment": "Changed comment"}
    response = amend(gpc, changed)
    assert response.status_code == 200 and response.headers["etag"] == 'W/"2"'
    amended = response.json()
    assert amended["meta"]["versionId"] == "2"
    assert (amended["description"], amended["comment"]) == ("Changed description", "Changed comment")
    assert {k: v for k, v in amended.items() if k not in ("meta", "description", "comment")} == {
        k: v for k, v in appointment.items() if k not in ("meta", "description", "comment")}
    stale = amend(gpc, {**amended, "description": "Late"}, version="1")
    assert stale.status_code == 409 and outcome_code(stale) == "FHIR_CONSTRAINT_VIOLATION"
    assert gpc.call("read_appointment", f"/Appointment/{appointment['id']}").json()["description"] == "Changed description"


@pytest.fixture(scope="module")
def amendable(gpc, pool):
    return booked(gpc, pool.pop())


@pytest.mark.parametrize("name, change", [
    ("start", lambda a: a.update(start=a["end"])),
    ("participant", lambda a: a["participant"].append({"actor": {"reference": "Patient/2"}, "status": "accepted"})),
    ("serviceType", lambda a: a.update(serviceType=[{"text": "Something else"}])),
    ("slot", lambda a: a.update(slot=[{"reference": "Slot/A20047-S1"}])),
    ("priority", lambda a: a.update(priority=3)),
    ("cancellation reason", lambda a: a["extension"].append({"url": REASON, "valueString": "No"})),
    ("status", lambda a: a.update(status="cancelled")),
    ("reason", lambda a: a.update(reason=[{"text": "Cough"}])),
])
def test_amend_anything_else_is_422(gpc, amendable, name, change):
    edited = copy.deepcopy(amendable)
    edited["description"] = "Allowed change"
    change(edited)
    response = amend(gpc, edited)
    assert (response.status_code, outcome_code(response)) == (422, "INVALID_RESOURCE"), name
    assert "description" not in response.json()["issue"][0]["diagnostics"].split("changes")[-1]


def cancel(gpc, appointment, reason="Patient is better", version=None, **changes):
    body = {**copy.deepcopy(appointment), "status": "cancelled", **changes}
    body["extension"] = [*body["extension"], {"url": REASON, "valueString": reason}]
    headers = {"If-Match": f'W/"{version or appointment["meta"]["versionId"]}"'}
    return gpc.call("cancel_appointment", f"/Appointment/{appointment['id']}", json=body, headers=headers)


def test_cancel_frees_the_slot(gpc, free):
    slot, _ = free
    appointment = booked(gpc, free)
    assert cancel(gpc, appointment, version="7").status_code == 409
    response = cancel(gpc, appointment)
    assert response.status_code == 200 and response.headers["etag"] == 'W/"2"'
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert {"url": REASON, "valueString": "Patient is better"} in cancelled["extension"]
    assert slot["id"] in free_slot_ids(gpc, slot["start"][:10]), "a cancelled appointment's slot is free again"
    again = cancel(gpc, cancelled)
    assert again.status_code == 422 and outcome_code(again) == "INVALID_RESOURCE"
    amended = amend(gpc, {**cancelled, "status": "booked", "description": "Back?"})
    assert amended.status_code == 422 and outcome_code(amended) == "INVALID_RESOURCE"
    retrieved = gpc.call("retrieve_appointments", "/Patient/1/Appointment",
                         params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{slot['start'][:10]}")])
    assert "cancelled" in {a["status"] for a in entries(retrieved.json())}
    rebooked = book(gpc, booking(*free))
    assert rebooked.status_code == 201


def test_cancel_refusals(gpc, free):
    appointment = booked(gpc, free)
    empty = cancel(gpc, appointment, reason="")
    assert empty.status_code == 422 and outcome_code(empty) == "INVALID_PARAMETER"
    other = cancel(gpc, appointment, description="Changed while cancelling")
    assert other.status_code == 422 and outcome_code(other) == "INVALID_RESOURCE"
    no_reason = gpc.call("cancel_appointment", f"/Appointment/{appointment['id']}",
                         json={**appointment, "status": "cancelled"})
    assert no_reason.status_code == 422 and outcome_code(no_reason) == "INVALID_RESOURCE"
    wrong_id = gpc.call("cancel_appointment", "/Appointment/other", json={
        **appointment, "status": "cancelled", "extension": [*appointment["extension"], {"url": REASON, "valueString": "x"}]})
    assert wrong_id.status_code == 400 and outcome_code(wrong_id) == "BAD_REQUEST"
    past = gpc.call("cancel_appointment", "/Appointment/A20047-A1", json=orjson.loads(orjson.dumps(
        {**appointment, "id": "A20047-A1", "status": "cancelled",
         "extension": [*appointment["extension"], {"url": REASON, "valueString": "Too late"}]})))
    assert past.status_code == 422 and "future" in past.json()["issue"][0]["diagnostics"]


def test_an_identifier_needs_a_system_and_a_value(gpc, free):
    """GPConnect-Appointment-1: identifier.system 1..1 and identifier.value 1..1."""
    for identifier in ({"system": "https://consumer.example.org/booking"}, {"value": "B-1"},
                       {"system": "https://consumer.example.org/booking", "value": " "}):
        response = book(gpc, booking(*free, identifier=[identifier]))
        assert response.status_code == 422 and outcome_code(response) == "INVALID_RESOURCE", identifier
    kept = booked(gpc, free, identifier=[{"system": "https://consumer.example.org/booking", "value": "B-1"}])
    assert kept["identifier"] == [{"system": "https://consumer.example.org/booking", "value": "B-1"}]


def test_service_category_and_type_are_the_providers_whatever_the_consumer_sent(gpc, free):
    """The provider populates serviceCategory.text (schedule) and serviceType.text (slot); a consumer's values are replaced."""
    slot, schedule = free
    appointment = booked(gpc, free, serviceCategory={"text": "Something else"}, serviceType=[{"text": "Not the slot's"}])
    assert appointment["serviceCategory"] == {"text": schedule["serviceCategory"]["text"]}
    assert appointment["serviceType"] == [{"text": slot["serviceType"][0]["text"]}]
