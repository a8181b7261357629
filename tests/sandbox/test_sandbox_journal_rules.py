"""The consumer conformance journal: each rule id, met by a request that breaks it and missed by one that doesn't;
each advisory likewise; and what a line holds (never a token)."""

from __future__ import annotations

import time

import duckdb
import httpx
import pytest
from consumer_journal import journal_line, journal_lines, trace_id
from gpc_requests import bearer, default_claims
from sandbox_process import GpcClient, SandboxServer, booking, days_ahead, entries

from gpsynth.sandbox.conformance.rules import ADVISORIES, VIOLATIONS
from gpsynth.sandbox.interactions import BY_NAME

PATIENT = "2"


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    return tmp_path_factory.mktemp("journal") / "consumer.jsonl"


@pytest.fixture(scope="module")
def unsearched_slot(store_copy):
    """A free slot 12 days ahead: no search in this module covers that day."""
    con = duckdb.connect(str(store_copy), read_only=True)
    try:
        day = days_ahead(12).isoformat()
        (slot_id,) = con.execute("SELECT id FROM slot WHERE status = 'free' AND bookable AND strftime(start, '%Y-%m-%d') = ? "
                                 "ORDER BY start LIMIT 1", [day]).fetchone()
    finally:
        con.close()
    return slot_id


@pytest.fixture(scope="module")
def server(store_copy, journal, unsearched_slot, tmp_path_factory):
    server = SandboxServer(store_copy, tmp_path_factory.mktemp("log") / "serve.log", "--journal", str(journal)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gpc(server):
    with httpx.Client(timeout=30) as http:
        yield GpcClient(server.base(), http)


def claims_for(scope: str, **changes) -> dict:
    claims = default_claims(int(time.time()), scope)
    claims.update(changes)
    return claims


def send(gpc: GpcClient, interaction: str, path: str, *, claims: dict | None = None, trace: str | None = None,
         drop: tuple[str, ...] = (), **kwargs) -> tuple[httpx.Response, str]:
    """A GP Connect request with its own trace id (or `trace`), minus the headers in `drop`."""
    trace = trace or trace_id()
    headers = {**gpc.headers(interaction, claims), "Ssp-TraceID": trace, **kwargs.pop("headers", {})}
    for name in drop:
        headers.pop(name)
    if "json" in kwargs or "content" in kwargs:
        headers.setdefault("Content-Type", "application/fhir+json")
    response = gpc.http.request(kwargs.pop("method", BY_NAME[interaction].method), gpc.base + path, headers=headers,
                                **kwargs)
    return response, trace


def slot_query(first=1, last=2, **changes) -> dict:
    query = {"status": "free", "start": f"ge{days_ahead(first)}", "end": f"le{days_ahead(last)}", "_include": "Slot:schedule"}
    query.update(changes)
    return {key: value for key, value in query.items() if value is not None}


@pytest.fixture(scope="module")
def searched(gpc):
    """A slot search of the next two days, as a consumer makes it first: its slots and schedules."""
    response, _ = send(gpc, "search_free_slots", "/Slot", params=slot_query())
    assert response.status_code == 200
    bundle = response.json()
    return entries(bundle, "Slot"), {s["id"]: s for s in entries(bundle, "Schedule")}


def book(gpc, slot: dict, schedules: dict, **kwargs) -> tuple[httpx.Response, str]:
    schedule = schedules[slot["schedule"]["reference"].removeprefix("Schedule/")]
    return send(gpc, "book_appointment", "/Appointment", json=booking(slot, schedule, patient_id=PATIENT),
                claims=claims_for("patient/*.write"), **kwargs)


WRITE, READ, ORG = "patient/*.write", "patient/*.read", "organization/*.read"
# rule id -> (interaction, path, what to change in a good request)
BREAKING = {
    "ssp-header": ("get_capability_statement", "/metadata", {"drop": ("Ssp-To",)}),
    "ssp-to": ("get_capability_statement", "/metadata", {"headers": {"Ssp-To": "111111111111"}}),
    "ssp-interaction-id": ("get_capability_statement", "/metadata",
                           {"headers": {"Ssp-InteractionID": "urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1"}}),
    "interaction-path": ("get_capability_statement", "/Nothing", {}),
    "http-media-type": ("get_capability_statement", "/metadata", {"headers": {"Accept": "text/plain"}}),
    "request-size": ("book_appointment", "/Appointment", {"content": b" " * (1024 * 1024 + 1), "claims": WRITE}),
    "body-syntax": ("book_appointment", "/Appointment", {"content": b"{", "claims": WRITE}),
    "body-resource": ("book_appointment", "/Appointment", {"content": b"[]", "claims": WRITE}),
    "jwt-format": ("get_capability_statement", "/metadata", {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}),
    "jwt-claim": ("get_capability_statement", "/metadata", {"claims": {"iss": None}}),
    "jwt-requester": ("get_capability_statement", "/metadata",
                      {"claims": {"requesting_device": {"resourceType": "Patient"}}}),
    # Times as seconds from when the request is sent.
    "jwt-lifetime": ("get_capability_statement", "/metadata", {"claims": {"exp": 900}}),
    "jwt-iat-future": ("get_capability_statement", "/metadata", {"claims": {"iat": 900, "exp": 1200}}),
    "jwt-expired": ("get_capability_statement", "/metadata", {"claims": {"iat": -400, "exp": -100}}),
    "jwt-reason": ("get_capability_statement", "/metadata", {"claims": {"reason_for_request": "secondaryuses"}}),
    "jwt-scope": ("get_capability_statement", "/metadata", {"claims": {"requested_scope": READ}}),
    "search-parameter": ("search_free_slots", "/Slot", {"params": slot_query(status=None)}),
    "search-identifier": ("find_patient", "/Patient", {"params": {"identifier": "9000000009"}, "claims": READ}),
    "search-date": ("search_free_slots", "/Slot", {"params": slot_query(start=str(days_ahead(1)))}),
    "slot-include": ("search_free_slots", "/Slot", {"params": slot_query(_include=None)}),
    "slot-status": ("search_free_slots", "/Slot", {"params": slot_query(status="busy")}),
    "slot-range": ("search_free_slots", "/Slot", {"params": slot_query(1, 20)}),
    "appointments-range": ("retrieve_appointments", f"/Patient/{PATIENT}/Appointment",
                           {"params": {"start": f"ge{days_ahead(1)}"}, "claims": READ}),
    "resource-invalid": ("book_appointment", "/Appointment",
                         {"json": {"resourceType": "Appointment", "status": "booked"}, "claims": WRITE}),
    "request-invalid": ("amend_appointment", "/Appointment/1",
                        {"json": {"resourceType": "Appointment", "id": "1"}, "claims": WRITE,
                         "headers": {"If-Match": "not an entity tag"}}),
}
GOOD = {
    "get_capability_statement": ("/metadata", {}),
    "search_free_slots": ("/Slot", {"params": slot_query()}),
    "find_patient": ("/Patient", {"params": {"identifier": "https://fhir.nhs.uk/Id/nhs-number|9690937286"}, "claims": READ}),
    "retrieve_appointments": (f"/Patient/{PATIENT}/Appointment",
                              {"params": [("start", f"ge{days_ahead(1)}"), ("start", f"le{days_ahead(7)}")], "claims": READ}),
}


def request_options(interaction: str, options: dict) -> dict:
    options = dict(options)
    claims = options.pop("claims", None)
    scope = claims if isinstance(claims, str) else {"book_appointment": WRITE, "amend_appointment": WRITE}.get(
        interaction, READ if interaction in ("find_patient", "retrieve_appointments") else ORG)
    changes = claims if isinstance(claims, dict) else {}
    now = int(time.time())
    changes = {key: now + value if key in ("iat", "exp") else value for key, value in changes.items()}
    built = claims_for(scope, **changes)
    options["claims"] = {key: value for key, value in built.items() if value is not None}
    return options


def test_every_rule_has_a_case():
    assert set(BREAKING) == set(VIOLATIONS)


@pytest.mark.parametrize("rule", sorted(BREAKING))
def test_a_request_breaking_the_rule_is_journalled_with_it(rule, gpc, journal):
    interaction, path, options = BREAKING[rule]
    response, trace = send(gpc, interaction, path, **request_options(interaction, options))
    assert 400 <= response.status_code < 500
    line = journal_line(journal, trace)
    assert [v["rule"] for v in line["violations"]] == [rule]
    (violation,) = line["violations"]
    assert violation["explanation"] == VIOLATIONS[rule].explanation
    assert violation["section"].startswith("https://developer.nhs.uk/apis/gpconnect-1-2-7/")
    assert violation["detail"] == response.json()["issue"][0]["diagnostics"]
    assert line["status"] == response.status_code and line["delivered"] is True


@pytest.mark.parametrize("interaction", sorted(GOOD))
def test_a_good_request_breaks_no_rule(interaction, gpc, journal):
    path, options = GOOD[interaction]
    response, trace = send(gpc, interaction, path, **request_options(interaction, options))
    assert response.status_code == 200, response.text
    line = journal_line(journal, trace)
    assert line["violations"] == [] and line["advisories"] == []
    assert line["interaction"] == interaction and line["practice"] == "A20047"


def test_a_well_formed_request_for_what_is_not_there_breaks_no_rule(gpc, journal):
    response, trace = send(gpc, "read_patient", "/Patient/no-such-patient", claims=claims_for(READ))
    assert response.status_code == 404
    assert journal_line(journal, trace)["violations"] == []


def test_a_line_holds_no_token(gpc, journal):
    claims = claims_for(ORG)
    token = bearer(claims).removeprefix("Bearer ")
    response, trace = send(gpc, "get_capability_statement", "/metadata", claims=claims)
    assert response.status_code == 200
    journal_line(journal, trace)
    text = journal.read_text()
    assert token.split(".")[1] not in text       # the claims, encoded
    assert "requesting_practitioner" not in text.replace("requesting_practitioner.id", "")


def test_reused_trace_id(gpc, journal):
    _, trace = send(gpc, "get_capability_statement", "/metadata")
    assert journal_line(journal, trace)["advisories"] == []
    send(gpc, "get_capability_statement", "/metadata", trace=trace)
    journal_line(journal, trace, count=2)
    lines = [line for line in journal_lines(journal) if line["trace_id"] == trace]
    assert [[a["rule"] for a in line["advisories"]] for line in lines] == [[], ["trace-id-reused"]]


def test_booking_a_slot_no_search_returned(gpc, journal, searched, unsearched_slot):
    slots, schedules = searched
    response, trace = book(gpc, slots[0], schedules)
    assert response.status_code == 201, response.text
    assert journal_line(journal, trace)["advisories"] == []
    read, _ = send(gpc, "read_appointment", f"/Appointment/{response.json()['id']}", claims=claims_for(READ))
    assert read.status_code == 200
    unsearched = {**slots[1], "id": unsearched_slot}
    response, trace = book(gpc, unsearched, schedules)
    line = journal_line(journal, trace)
    assert [a["rule"] for a in line["advisories"]] == ["slot-not-searched"]
    assert line["advisories"][0]["detail"] == f"Slot/{unsearched_slot}"


def test_amending_without_if_match(gpc, journal, searched):
    slots, schedules = searched
    booked, _ = book(gpc, slots[2], schedules)
    assert booked.status_code == 201, booked.text
    appointment = {**booked.json(), "description": "Amended"}
    response, trace = send(gpc, "amend_appointment", f"/Appointment/{appointment['id']}", json=appointment,
                           claims=claims_for(WRITE), headers={"If-Match": booked.headers["etag"]})
    assert response.status_code == 200, response.text
    assert journal_line(journal, trace)["advisories"] == []
    appointment = {**response.json(), "description": "Amended again"}
    response, trace = send(gpc, "amend_appointment", f"/Appointment/{appointment['id']}", json=appointment,
                           claims=claims_for(WRITE))
    assert response.status_code == 200, response.text
    assert [a["rule"] for a in journal_line(journal, trace)["advisories"]] == ["update-without-if-match"]


def test_a_token_close_to_expiry(gpc, journal):
    now = int(time.time())
    response, trace = send(gpc, "get_capability_statement", "/metadata", claims=claims_for(ORG, iat=now - 290, exp=now + 10))
    assert response.status_code == 200
    line = journal_line(journal, trace)
    assert [a["rule"] for a in line["advisories"]] == ["jwt-expiry-close"]
    assert line["advisories"][0]["explanation"] == ADVISORIES["jwt-expiry-close"].explanation
    response, trace = send(gpc, "get_capability_statement", "/metadata", claims=claims_for(ORG, iat=now - 200, exp=now + 100))
    assert journal_line(journal, trace)["advisories"] == []


def test_a_browser_request_outside_gp_connect_is_not_journalled(server, gpc, journal):
    assert gpc.http.get(server.origin + "/favicon.ico").status_code == 404
    _, trace = send(gpc, "get_capability_statement", "/metadata")
    journal_line(journal, trace)
    assert [line for line in journal_lines(journal) if line["path"] == "/favicon.ico"] == []
