"""Search for free slots over HTTP: the window rules, formats, prefixes, includes, searchFilter and the results."""

import time

import pytest
from sandbox_process import FHIR_XML, days_ahead, entries, outcome_code

from gpsynth.sandbox.fhirxml import resource_from_xml
from gpsynth.sandbox.times import day_end, day_start, seconds

ODS_FILTER = "https://fhir.nhs.uk/Id/ods-organization-code|"
TYPE_FILTER = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1|"


def test_fourteen_days_is_the_most_one_search_covers(gpc):
    assert gpc.free_slots(days_ahead(1), days_ahead(15)).status_code == 200
    too_long = gpc.free_slots(days_ahead(1), days_ahead(16))
    assert too_long.status_code == 422 and outcome_code(too_long) == "INVALID_PARAMETER"
    assert "14 days" in too_long.json()["issue"][0]["diagnostics"]
    backwards = gpc.free_slots(days_ahead(2), days_ahead(1))
    assert backwards.status_code == 422 and outcome_code(backwards) == "INVALID_PARAMETER"


def test_slots_lie_wholly_inside_the_window_sorted_by_start(gpc):
    first, last = days_ahead(1), days_ahead(3)
    bundle = gpc.free_slots(first, last).json()
    slots = entries(bundle, "Slot")
    assert slots and bundle["type"] == "searchset"
    # Generic FHIR clients rely on fullUrl, search.mode and total (FHIR STU3 Bundle; GP Connect adds nothing against them).
    assert all(e["fullUrl"] == f"{gpc.base}/{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"])
    modes = {e["resource"]["resourceType"]: e["search"]["mode"] for e in bundle["entry"]}
    assert modes.pop("Slot") == "match" and modes.pop("Schedule") == "include" and set(modes.values()) <= {"include"}
    assert bundle["total"] == len(slots)
    starts = [seconds(slot["start"]) for slot in slots]
    assert starts == sorted(starts)
    assert all(day_start(first) <= s and seconds(slot["end"]) <= day_end(last) for s, slot in zip(starts, slots, strict=True))
    assert all(slot["status"] == "free" and slot["serviceType"][0]["text"] for slot in slots)
    assert all(any(e["url"].endswith("DeliveryChannel-2") for e in slot["extension"]) for slot in slots)


def test_a_window_of_times_with_offsets(gpc):
    day = days_ahead(2)
    start, end = f"{day}T10:00:00+00:00", f"{day}T12:00:00+00:00"
    params = {"status": "free", "start": f"ge{start}", "end": f"le{end}", "_include": "Slot:schedule"}
    slots = entries(gpc.call("search_free_slots", "/Slot", params=params).json(), "Slot")
    assert slots and all(seconds(start) <= seconds(s["start"]) and seconds(s["end"]) <= seconds(end) for s in slots)
    unencoded_plus = f"/Slot?status=free&start=ge{day}T10:00:00+00:00&end=le{day}T12:00:00+00:00&_include=Slot:schedule"
    assert len(entries(gpc.call("search_free_slots", unencoded_plus).json(), "Slot")) == len(slots)


def test_includes(gpc):
    first, last = days_ahead(1), days_ahead(2)
    plain = gpc.free_slots(first, last).json()
    types = {r["resourceType"] for r in entries(plain)}
    assert types == {"Slot", "Schedule", "Organization"}, "the Organization comes with the slots even unasked"
    schedule_ids = {s["schedule"]["reference"] for s in entries(plain, "Slot")}
    assert {f"Schedule/{s['id']}" for s in entries(plain, "Schedule")} == schedule_ids
    full = gpc.free_slots(first, last, **{"_include:recurse": ["Schedule:actor:Practitioner", "Schedule:actor:Location",
                                                                "Location:managingOrganization"]}).json()
    assert {r["resourceType"] for r in entries(full)} == {"Slot", "Schedule", "Practitioner", "Location", "Organization"}
    (organization,) = entries(full, "Organization")
    assert organization["id"] == "A20047"
    actors = {a["reference"] for s in entries(full, "Schedule") for a in s["actor"]}
    assert {f"Location/{r['id']}" for r in entries(full, "Location")} | {
        f"Practitioner/{r['id']}" for r in entries(full, "Practitioner")} == actors


def test_search_filter_rules(gpc):
    first, last = days_ahead(1), days_ahead(15)
    unfiltered = {s["id"] for s in entries(gpc.free_slots(first, last).json(), "Slot")}
    urgent = {s["id"] for s in entries(gpc.free_slots(first, last, searchFilter=[TYPE_FILTER + "urgent-care",
                                                                              ODS_FILTER + "A20047"]).json(), "Slot")}
    practice = {s["id"] for s in entries(gpc.free_slots(first, last, searchFilter=TYPE_FILTER + "gp-practice").json(),
                                         "Slot")}
    assert practice == unfiltered, "slots kept for urgent care are hidden from a GP practice"
    assert urgent > unfiltered, "an urgent-care consumer also sees the slots kept for urgent care"
    ignored = gpc.free_slots(first, last, searchFilter="https://example.org/disposition|Dx12", unknown="1")
    assert {s["id"] for s in entries(ignored.json(), "Slot")} == unfiltered


def test_slots_that_have_started_are_not_offered(gpc):
    today = entries(gpc.free_slots(days_ahead(0), days_ahead(0)).json(), "Slot")
    assert all(seconds(slot["start"]) > time.time() for slot in today)


@pytest.mark.parametrize("change, status, code", [
    ({"start": None}, 400, "BAD_REQUEST"),
    ({"end": None}, 400, "BAD_REQUEST"),
    ({"status": None}, 400, "BAD_REQUEST"),
    ({"_include": None}, 400, "BAD_REQUEST"),
    ({"_include": "Schedule:actor:Practitioner"}, 400, "BAD_REQUEST"),
    ({"status": "busy"}, 422, "INVALID_PARAMETER"),
    ({"start": "gt{first}"}, 422, "INVALID_PARAMETER"),
    ({"end": "ge{last}"}, 422, "INVALID_PARAMETER"),
    ({"start": "{first}"}, 422, "INVALID_PARAMETER"),
    ({"start": "ge2026"}, 422, "INVALID_PARAMETER"),
    ({"start": "ge2026-11"}, 422, "INVALID_PARAMETER"),
    ({"start": "ge{first}T09:00:00"}, 422, "INVALID_PARAMETER"),
    ({"start": "ge{first}T09:00:00Z"}, 422, "INVALID_PARAMETER"),
    ({"start": "ge2026-13-45"}, 422, "INVALID_PARAMETER"),
])
def test_parameter_errors(gpc, change, status, code):
    first, last = days_ahead(1), days_ahead(2)
    params = {"status": "free", "start": f"ge{first}", "end": f"le{last}", "_include": "Slot:schedule"}
    for name, value in change.items():
        if value is None:
            del params[name]
        else:
            params[name] = value.format(first=first, last=last)
    response = gpc.call("search_free_slots", "/Slot", params=params)
    assert (response.status_code, outcome_code(response)) == (status, code)


def test_xml_answer(gpc):
    response = gpc.free_slots(days_ahead(1), days_ahead(1), _format="xml")
    assert response.status_code == 200 and response.headers["content-type"] == FHIR_XML
    bundle = resource_from_xml(response.content)
    assert bundle["type"] == "searchset" and entries(bundle, "Slot")[0]["resourceType"] == "Slot"


def test_gzip(gpc):
    response = gpc.call("search_free_slots", "/Slot", headers={"Accept-Encoding": "gzip"}, params={
        "status": "free", "start": f"ge{days_ahead(1)}", "end": f"le{days_ahead(14)}", "_include": "Slot:schedule"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert entries(response.json(), "Slot")
