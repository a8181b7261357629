"""Chaos rules on a real sandbox: each fault kind, scoping by interaction and practice, determinism from the seed,
rules set and cleared at run time, a dropped write that is durable across kill -9, and rules refused with exit 2."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest
import yaml
from click.testing import CliRunner
from consumer_journal import journal_line, trace_id
from gpc_requests import default_claims
from hypothesis import given, settings
from hypothesis import strategies as st
from sandbox_process import (
    GpcClient,
    SandboxServer,
    booking,
    days_ahead,
    entries,
    outcome_code,
)

from gpsynth.cli import main
from gpsynth.sandbox.conformance.chaos import Chaos, ChaosError, ChaosRules, parse_chaos
from gpsynth.sandbox.interactions import BY_NAME

STARTING_RULES = {"seed": 5, "rules": [{"name": "elsewhere", "practice": "Z99999", "fault": "error", "status": 500}]}
PATIENT = "2"


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    return tmp_path_factory.mktemp("journal") / "consumer.jsonl"


@pytest.fixture(scope="module")
def server(store_copy, journal, tmp_path_factory):
    folder = tmp_path_factory.mktemp("chaos")
    (folder / "rules.yaml").write_text(yaml.safe_dump(STARTING_RULES))
    server = SandboxServer(store_copy, folder / "serve.log", "--admin", "--journal", str(journal),
                           "--chaos", str(folder / "rules.yaml")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def chaos(server, http):
    """PUT rules at /_gpsynth/chaos for one test; cleared after it."""
    def put(*rules: dict, seed: int = 1) -> dict:
        response = http.put(server.origin + "/_gpsynth/chaos", content=yaml.safe_dump({"seed": seed, "rules": list(rules)}))
        assert response.status_code == 200, response.text
        return response.json()
    yield put
    assert http.delete(server.origin + "/_gpsynth/chaos").status_code == 200


def call(server, http, interaction: str, path: str, trace: str | None = None, consumer: str = "200000000359",
         **kwargs) -> tuple[httpx.Response, str]:
    trace = trace or trace_id()
    headers = {**GpcClient(server.base(), http).headers(interaction, default_claims(int(time.time()), BY_NAME[interaction].scope)),
               "Ssp-TraceID": trace, "Ssp-From": consumer}
    if "json" in kwargs:
        headers["Content-Type"] = "application/fhir+json"
    return http.request(BY_NAME[interaction].method, server.base() + path, headers=headers, **kwargs), trace


def metadata(server, http, **kwargs):
    return call(server, http, "get_capability_statement", "/metadata", **kwargs)


def free_slots(server, http, first=1, last=3) -> tuple[list[dict], dict]:
    query = {"status": "free", "start": f"ge{days_ahead(first)}", "end": f"le{days_ahead(last)}", "_include": "Slot:schedule"}
    response, _ = call(server, http, "search_free_slots", "/Slot", params=query)
    assert response.status_code == 200, response.text
    return entries(response.json(), "Slot"), {s["id"]: s for s in entries(response.json(), "Schedule")}


def book(server, http, slot, schedules, **kwargs):
    schedule = schedules[slot["schedule"]["reference"].removeprefix("Schedule/")]
    return call(server, http, "book_appointment", "/Appointment", json=booking(slot, schedule, patient_id=PATIENT), **kwargs)


def appointments(server, http) -> list[dict]:
    response, _ = call(server, http, "retrieve_appointments", f"/Patient/{PATIENT}/Appointment",
                       params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{days_ahead(14)}")])
    assert response.status_code == 200, response.text
    return entries(response.json(), "Appointment")


def test_rules_given_at_start_are_in_force_for_their_practice_only(server, http, journal):
    banner = server.log.read_text().splitlines()
    assert f"live page: {server.origin}/; conformance journal: {journal}; chaos rules: 1" in banner
    described = http.get(server.origin + "/_gpsynth/chaos").json()
    assert described["seed"] == 5 and [r["name"] for r in described["rules"]] == ["elsewhere"]
    response, trace = metadata(server, http)
    assert response.status_code == 200
    assert "chaos" not in journal_line(journal, trace)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_error_faults(status, server, http, chaos, journal):
    rule = {"name": f"down {status}", "interaction": "get_capability_statement", "practice": "A20047", "fault": "error",
            "status": status}
    if status != 500:
        rule["retry_after"] = 7
    chaos(rule)
    response, trace = metadata(server, http)
    assert response.status_code == status
    assert outcome_code(response) == "INTERNAL_SERVER_ERROR"
    assert response.headers.get("retry-after") == (None if status == 500 else "7")
    line = journal_line(journal, trace)
    assert line["chaos"]["rule"] == f"down {status}" and line["chaos"]["fault"] == "error"
    assert line["status"] == status and line["violations"] == []
    slots, _ = free_slots(server, http)            # another interaction: untouched
    assert slots


def test_the_same_seed_gives_the_same_faults(server, http, chaos):
    rule = {"interaction": "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1", "fault": "error",
            "status": 503, "share": 0.5}

    def pattern() -> list[int]:
        return [metadata(server, http)[0].status_code for _ in range(24)]

    chaos(rule, seed=11)
    first = pattern()
    chaos(rule, seed=11)
    assert pattern() == first
    assert 0 < first.count(503) < 24
    chaos(rule, seed=12)
    assert pattern() != first


def test_latency(server, http, chaos, journal):
    chaos({"interaction": "get_capability_statement", "fault": "latency", "latency": {"distribution": "fixed", "ms": 600}})
    started = time.monotonic()
    response, trace = metadata(server, http)
    assert response.status_code == 200 and time.monotonic() - started >= 0.6
    line = journal_line(journal, trace)
    assert line["latency_ms"] >= 600 and line["chaos"] == {"rule": "rules[0]", "fault": "latency", "seconds": 0.6}
    chaos({"interaction": "get_capability_statement", "fault": "latency",
           "latency": {"distribution": "uniform", "min_ms": 50, "max_ms": 250}})
    drawn = set()
    for _ in range(5):
        response, trace = metadata(server, http)
        seconds = journal_line(journal, trace)["chaos"]["seconds"]
        assert 0.05 <= seconds <= 0.25
        drawn.add(seconds)
    assert len(drawn) > 1


def test_a_hang_answers_nothing_then_drops_the_connection(server, http, chaos, journal):
    chaos({"interaction": "get_capability_statement", "fault": "hang", "after_seconds": 1.5})
    trace = trace_id()
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        metadata(server, http, trace=trace)
    assert time.monotonic() - started >= 1.5
    line = journal_line(journal, trace)
    assert line["status"] is None and line["delivered"] is False and line["chaos"]["fault"] == "hang"
    with pytest.raises(httpx.ReadTimeout):      # a consumer's own timeout fires first
        metadata(server, http, timeout=0.5)


def test_slot_taken_answers_409_and_leaves_the_slot_as_it_was(server, http, chaos, journal):
    slots, schedules = free_slots(server, http)
    chaos({"fault": "slot-taken"})
    response, trace = book(server, http, slots[0], schedules)
    assert response.status_code == 409 and outcome_code(response) == "DUPLICATE_REJECTED"
    assert journal_line(journal, trace)["chaos"]["fault"] == "slot-taken"
    assert [a for a in appointments(server, http) if a["slot"][0]["reference"] == f"Slot/{slots[0]['id']}"] == []
    http.delete(server.origin + "/_gpsynth/chaos")
    again, _ = free_slots(server, http)
    assert slots[0]["id"] in {slot["id"] for slot in again}


def test_a_write_dropped_after_commit_is_durable(server, http, chaos, journal):
    slots, schedules = free_slots(server, http, 4, 5)
    before = {a["id"] for a in appointments(server, http)}
    chaos({"fault": "drop-after-commit", "interaction": "book_appointment"})
    trace = trace_id()
    with pytest.raises(httpx.TransportError):
        book(server, http, slots[0], schedules, trace=trace)
    line = journal_line(journal, trace)
    assert line["status"] == 201 and line["delivered"] is False and line["chaos"]["fault"] == "drop-after-commit"
    made = [a for a in appointments(server, http) if a["id"] not in before]
    assert [a["slot"] for a in made] == [[{"reference": f"Slot/{slots[0]['id']}"}]]
    server.process.kill()                          # kill -9: nothing acknowledged to the store may be lost
    server.process.wait()
    server.start()
    assert made[0]["id"] in {a["id"] for a in appointments(server, http)}
    assert slots[0]["id"] not in {slot["id"] for slot in free_slots(server, http, 4, 5)[0]}


def test_reads_are_never_dropped(server, http, chaos):
    chaos({"fault": "drop-after-commit"})
    assert metadata(server, http)[0].status_code == 200


def test_rules_refused_at_run_time_leave_the_rules_in_force(server, http, chaos):
    chaos({"name": "kept", "fault": "latency", "latency": {"distribution": "fixed", "ms": 1}})
    response = http.put(server.origin + "/_gpsynth/chaos", content="rules: [{fault: error, status: 404}]")
    assert response.status_code == 422
    assert "rules[0].status: 404 is not allowed; allowed: 500, 503, 429" in response.text
    assert [r["name"] for r in http.get(server.origin + "/_gpsynth/chaos").json()["rules"]] == ["kept"]


def test_chaos_at_run_time_needs_admin(provider_testing_store, tmp_path, http):
    shutil.copyfile(provider_testing_store, tmp_path / "gpsynth.duckdb")
    plain = SandboxServer(tmp_path / "gpsynth.duckdb", tmp_path / "serve.log").start()
    try:
        response = http.put(plain.origin + "/_gpsynth/chaos", content="rules: []")
        assert response.status_code == 404 and "--admin" in response.text
    finally:
        plain.stop()


BAD_RULES = [
    ("rules: [{fault: explode}]",
     "rules[0].fault: 'explode' is not a fault; allowed: error, latency, hang, slot-taken, drop-after-commit"),
    ("rules: [{fault: error}]", "rules[0].status: required for the error fault"),
    ("rules: [{fault: error, status: 503, share: 2}]", "rules[0].share: 2 is not allowed; a number from 0 to 1"),
    ("rules: [{fault: slot-taken, interaction: search_free_slots}]",
     "rules[0].interaction: the slot-taken fault applies to book_appointment only, not search_free_slots"),
    ("rules: [{fault: latency, latency: {distribution: uniform, min_ms: 9, max_ms: 1}}]",
     "rules[0].latency.max_ms: 1 is below min_ms 9"),
    ("rules: [{fault: hang, after_seconds: 1, interaction: book}]",
     "rules[0].interaction: 'book' is not a GP Connect interaction"),
    ("seed: x\nrules: []", "seed: 'x' is not an integer"),
    ("rules: [{fault: error, status: 500, colour: red}]", "rules[0].colour: unknown key"),
    ("rules: [", "not valid YAML at line"),
]


def test_exponential_latency_is_drawn_from_the_seed():
    rules = parse_chaos({"seed": 4, "rules": [{"fault": "latency", "latency": {"distribution": "exponential",
                                                                               "mean_ms": 200}}]}, "x.yaml")

    def draws(seed_rules: ChaosRules) -> list[float]:
        chaos = Chaos()
        chaos.set(seed_rules)
        return [chaos.decide("search_free_slots", "A20047").seconds for _ in range(400)]

    first = draws(rules)
    assert first == draws(rules) and all(seconds >= 0 for seconds in first)
    assert 0.15 < sum(first) / len(first) < 0.25                 # mean 200 ms
    assert draws(ChaosRules(5, rules.rules)) != first


@pytest.mark.parametrize("text,message", BAD_RULES)
def test_a_bad_rules_file_is_one_line_and_exit_2(text, message, tmp_path, provider_testing_store):
    rules = tmp_path / "faults.yaml"
    rules.write_text(text)
    result = CliRunner().invoke(main, ["serve", str(provider_testing_store), "--port", "1", "--chaos", str(rules)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {rules}: ") and message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_a_journal_that_cannot_be_written_is_exit_2(tmp_path, provider_testing_store):
    result = CliRunner().invoke(main, ["serve", str(provider_testing_store), "--journal", str(tmp_path / "no" / "j.jsonl")])
    assert result.exit_code == 2 and result.output.startswith("error: --journal ") and result.output.count("\n") == 1


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
           | st.just([]) | st.just({}))
VALUES = st.recursive(SCALARS, lambda inner: (st.lists(inner, min_size=1, max_size=4)
                                              | st.dictionaries(st.text(max_size=12), inner, min_size=1, max_size=5)),
                      max_leaves=20)
KEYS = st.sampled_from(["name", "interaction", "practice", "share", "fault", "status", "retry_after", "latency",
                        "after_seconds"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(VALUES, st.fixed_dictionaries({"rules": st.lists(st.dictionaries(KEYS, VALUES, max_size=6), max_size=3)}),
                 st.fixed_dictionaries({"seed": VALUES, "rules": VALUES})))
def test_any_rules_are_used_or_refused_with_a_chaos_error(data):
    try:
        parsed = parse_chaos(data, "any.yaml")
    except ChaosError as exc:
        assert str(exc).startswith("any.yaml: ") and "\n" not in str(exc)
    else:
        assert isinstance(parsed, ChaosRules)
