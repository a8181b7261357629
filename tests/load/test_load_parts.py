"""The loader's parts on their own: sources, bundles, R4 conversion, outcomes, retries and the checkpoint."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class
from load_support import dataset

from gpsynth.errors import GpsynthError
from gpsynth.fhir.constants import EXT_CANCELLATION_REASON, RESOURCE_TYPES
from gpsynth.load import LoadOptions, RetryPolicy, parse_header, plan_load
from gpsynth.load.bundles import Chunk, bundle_body, entries
from gpsynth.load.capabilities import ServerFacts, choose_mode, choose_version
from gpsynth.load.checkpoint import Checkpoint, LoadIdentity, Ranges
from gpsynth.load.client import MAX_RETRY_AFTER, Reply, backoff, retry_after_seconds
from gpsynth.load.outcome import Refusal, bundle_outcomes, single_outcome
from gpsynth.load.r4 import to_r4
from gpsynth.load.sizing import BundleSizer
from gpsynth.renditions import open_rendition
from gpsynth.store import DEFAULT_STORE_NAME, open_store, transaction, update_resource

STU3 = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"


def test_ndjson_and_json_sources_hold_the_same_resources(small):
    ndjson, bundles = open_rendition(small), open_rendition(small / "json")
    assert ndjson.counts() == bundles.counts() == {t: len(r) for t, r in dataset(small).items()}
    assert list(ndjson.counts()) == list(RESOURCE_TYPES)
    for resource_type in RESOURCE_TYPES:
        by_id = [{r["id"]: r for r in map(orjson.loads, s.resources(resource_type))} for s in (ndjson, bundles)]
        assert by_id[0] == by_id[1]
    assert open_rendition(small / "ndjson").fingerprint == ndjson.fingerprint != bundles.fingerprint


def test_a_store_holds_the_same_resources_and_a_booking_changes_its_fingerprint(small, tmp_path):
    shutil.copy(small / DEFAULT_STORE_NAME, tmp_path / DEFAULT_STORE_NAME)
    store, ndjson = open_rendition(tmp_path / DEFAULT_STORE_NAME), open_rendition(small)
    assert store.counts() == ndjson.counts() and open_rendition(tmp_path).fingerprint == store.fingerprint
    for resource_type in RESOURCE_TYPES:
        assert list(map(orjson.loads, store.resources(resource_type))) == list(map(orjson.loads, ndjson.resources(resource_type)))
    slot = orjson.loads(next(store.resources("Slot")))
    con = open_store(tmp_path / DEFAULT_STORE_NAME, read_only=False)
    with transaction(con):
        update_resource(con, "Slot", {**slot, "status": "busy"}, "2026-11-25T09:00:00+00:00", status="busy")
    con.close()
    assert open_rendition(tmp_path / DEFAULT_STORE_NAME).fingerprint != store.fingerprint


def test_bundles_are_puts_of_one_type_with_the_datasets_ids(small):
    slots = tuple(open_rendition(small).resources("Slot"))[:100]
    body = orjson.loads(bundle_body("batch", entries(Chunk("Slot", 0, slots), "test")))
    assert body["type"] == "batch" and len(body["entry"]) == 100
    first = body["entry"][0]
    assert first["request"] == {"method": "PUT", "url": f"Slot/{first['resource']['id']}"}


def test_a_broken_resource_is_named_by_type_and_position(small):
    chunk = Chunk("Slot", 40, (b'{"resourceType":"Slot","id":"a"}', b'{"resourceType":"Slot"}'))
    with pytest.raises(GpsynthError, match=r"^out: Slot number 42: expected a Slot with an id$"):
        entries(chunk, "out")


def test_plan_counts_resources_per_type_and_leaves_auto_choices_to_the_server(small, tmp_path):
    plan = plan_load(small, "http://fhir.example/R4", LoadOptions(only=("Appointment", "Slot"), checkpoint=tmp_path / "cp.json"))
    counts = open_rendition(small).counts()
    assert [(t.resource_type, t.resources, t.done) for t in plan.types] == [
        ("Slot", counts["Slot"], 0), ("Appointment", counts["Appointment"], 0)]
    assert (plan.mode, plan.bundle_size, plan.fhir_version) == ("auto", "auto", "auto")
    assert not (tmp_path / "cp.json").exists()


def test_the_sizer_halves_refused_bundles_and_settles_on_the_servers_limit():
    limit, sizer, requests = 50, BundleSizer(1000), 0

    def send(entries: int) -> None:  # a server that refuses Bundles of more than `limit` entries
        nonlocal requests
        requests += 1
        if entries <= limit:
            sizer.accepted(entries)
            return
        piece = sizer.pieces(entries)
        pieces = [min(piece, entries - at) for at in range(0, entries, piece)]
        for n in pieces:
            send(n)
        if all(n <= limit for n in pieces):
            sizer.too_big(entries)

    while sizer.settled is None and requests < 200:
        send(sizer.size)
    assert sizer.settled == sizer.size == limit and requests < 60


@pytest.mark.parametrize("facts, asked, expected", [
    (ServerFacts(), None, ("transaction", "STU3")),
    (ServerFacts("4.0.1", transaction=True, batch=True, update=True), None, ("transaction", "R4")),
    (ServerFacts("3.0.2", transaction=False, batch=True, update=True), None, ("batch", "STU3")),
    (ServerFacts("4.3.0", transaction=False, batch=False, update=True), None, ("individual", "R4")),
    (ServerFacts("4.0.1", transaction=False, batch=True), ("individual", "STU3"), ("individual", "STU3")),
])
def test_mode_and_version_follow_the_capability_statement_unless_asked(facts, asked, expected):
    mode, version = asked or (None, None)
    assert (choose_mode(facts, mode)[0], choose_version(facts, version)[0]) == expected


def test_a_server_that_takes_no_writes_is_refused_with_the_reason():
    with pytest.raises(GpsynthError, match="lists no transaction, batch or update interaction"):
        choose_mode(ServerFacts("4.0.1", transaction=False, batch=False, update=False), None)


def test_every_resource_converted_to_r4_is_valid_r4(small):
    changes = Counter()
    for resource_type, resources in dataset(small).items():
        model = get_fhir_model_class(resource_type)
        for resource in resources.values():
            model.model_validate(to_r4(resource, changes))
    assert changes["Location.meta.profile: STU3 GP Connect profile dropped"] == len(dataset(small)["Location"])


def test_r4_renames_stu3_appointment_elements_and_keeps_what_r4_has():
    appointment = {
        "resourceType": "Appointment", "id": "a1", "status": "cancelled",
        "meta": {"profile": [STU3, "http://example.org/fhir/StructureDefinition/local"]},
        "extension": [{"url": EXT_CANCELLATION_REASON, "valueString": "Patient request"}],
        "serviceCategory": {"text": "General practice"},
        "reason": [{"text": "Cough"}], "indication": [{"reference": "Condition/c1"}],
        "incomingReferral": [{"reference": "ReferralRequest/r1"}],
        "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}],
    }
    changes = Counter()
    r4 = to_r4(appointment, changes)
    assert r4 == {
        "resourceType": "Appointment", "id": "a1", "status": "cancelled",
        "meta": {"profile": ["http://example.org/fhir/StructureDefinition/local"]},
        "serviceCategory": [{"text": "General practice"}],
        "reasonCode": [{"text": "Cough"}], "reasonReference": [{"reference": "Condition/c1"}],
        "basedOn": [{"reference": "ServiceRequest/r1"}],
        "cancelationReason": {"text": "Patient request"},
        "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}],
    }
    assert sum(changes.values()) == 6
    get_fhir_model_class("Appointment").model_validate(r4)


def test_r4_lists_location_type_drops_patient_animal_and_can_keep_profiles():
    changes = Counter()
    location = to_r4({"resourceType": "Location", "id": "l", "meta": {"profile": [STU3]}, "type": {"text": "Surgery"}},
                     changes, keep_profiles=True)
    assert location == {"resourceType": "Location", "id": "l", "meta": {"profile": [STU3]}, "type": [{"text": "Surgery"}]}
    patient = to_r4({"resourceType": "Patient", "id": "p", "meta": {"profile": [STU3]}, "animal": {"species": {"text": "dog"}}}, changes)
    assert patient == {"resourceType": "Patient", "id": "p"}
    assert changes == {"Location.type: one CodeableConcept → a list": 1, "Patient.animal: not in R4, dropped": 1,
                       "Patient.meta.profile: STU3 GP Connect profile dropped": 1}


def test_entry_outcomes_from_a_batch_response_and_a_refused_transaction():
    response = {"resourceType": "Bundle", "type": "batch-response", "entry": [
        {"response": {"status": "201 Created"}},
        {"response": {"status": "200"}},
        {"response": {"status": "400", "outcome": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "structure", "details": {"text": "Expected array"}, "expression": ["Slot.x"]}]}}},
    ]}
    outcomes = bundle_outcomes(Reply(200, orjson.dumps(response)), 3, "batch")
    assert [o.status for o in outcomes] == [201, 200, 400] and [o.ok for o in outcomes] == [True, True, False]
    assert outcomes[2].message == "HTTP 400: error structure: Expected array at Slot.x"
    refused = bundle_outcomes(Reply(413, b"Request Entity Too Large"), 2, "transaction")
    assert refused == Refusal(413, "transaction rejected: HTTP 413: Request Entity Too Large")
    unchanged = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"response": {"status": "200 OK", "outcome": {
        "resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational",
                                                       "details": {"coding": [{"code": "SUCCESSFUL_UPDATE_NO_CHANGE"}]}}]}}}]}
    assert bundle_outcomes(Reply(200, orjson.dumps(unchanged)), 1, "batch")[0].unchanged
    short = bundle_outcomes(Reply(200, orjson.dumps(response)), 4, "batch")
    assert short[0].status == 0 and "has 3 entries for 4 sent" in short[0].message
    assert single_outcome(Reply(201, b"")).ok and single_outcome(Reply(422, b"")).message == "HTTP 422: no response body"


def test_backoff_is_jittered_capped_and_honours_retry_after():
    policy, rng = RetryPolicy(base=0.5, cap=4.0), random.Random(1)
    waits = [backoff(policy, retry, None, rng) for retry in range(1, 9) for _ in range(50)]
    assert 0 <= min(waits) and max(waits) <= 4.0 and len(set(waits)) > 100
    assert all(backoff(policy, 1, 7.0, rng) >= 7.0 for _ in range(20))
    assert backoff(policy, 1, 10_000.0, rng) == MAX_RETRY_AFTER
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_headers_parse_or_say_what_is_expected():
    assert parse_header("Authorization: Bearer a:b") == ("Authorization", "Bearer a:b")
    assert parse_header("X-Api-Key:k") == ("X-Api-Key", "k")
    for bad in ("Authorization Bearer", ": value", "Name:", "Bad Name: v"):
        with pytest.raises(GpsynthError, match="expected 'Name: value'"):
            parse_header(bad)


def identity(**changes) -> LoadIdentity:
    base = {"source": "out/ndjson (NDJSON)", "fingerprint": "f1", "server": "http://s", "fhir_version": "R4",
            "keep_profiles": False, "types": ("Slot", "Appointment")}
    return LoadIdentity(**{**base, **changes})


def test_checkpoint_round_trip_is_atomic_and_checks_identity(tmp_path):
    path = tmp_path / "cp.json"
    checkpoint = Checkpoint(path, identity())
    for first, count in ((1, 2), (5, 1), (0, 1)):
        checkpoint.mark("Slot", first, count)
    checkpoint.mark("Appointment", 0, 1)
    checkpoint.flush()
    assert [p.name for p in tmp_path.iterdir()] == ["cp.json"], "no temporary file is left beside it"
    assert orjson.loads(path.read_bytes())["done"] == {"Slot": [[0, 2], [5, 5]], "Appointment": [[0, 0]]}
    resumed = Checkpoint.resume(path, identity())
    assert resumed.is_done("Slot", 5) and not resumed.is_done("Slot", 3) and resumed.is_done("Appointment", 0)
    assert Checkpoint.resume(path, identity(source="/data/out/ndjson (NDJSON)")).is_done("Slot", 5), "same content, other path"

    with pytest.raises(GpsynthError, match="is for a different source"):
        Checkpoint.resume(path, identity(fingerprint="f2", source="other/ndjson (NDJSON)"))
    with pytest.raises(GpsynthError, match="is for server http://s, not http://t"):
        Checkpoint.resume(path, identity(server="http://t"))
    with pytest.raises(GpsynthError, match="written with --fhir-version R4 --only Slot,Appointment, "
                                           "not --fhir-version STU3"):
        Checkpoint.resume(path, identity(fhir_version="STU3"))
    path.write_text("{not json")
    with pytest.raises(GpsynthError, match="not a gpsynth load checkpoint"):
        Checkpoint.resume(path, identity())


def test_ranges_merge_what_touches_and_answer_membership():
    ranges = Ranges()
    for first, last in ((10, 19), (30, 39), (0, 4), (20, 29), (5, 8), (50, 50)):
        ranges.add(first, last)
    assert ranges.ranges == [[0, 8], [10, 39], [50, 50]] and len(ranges) == 9 + 30 + 1
    assert 0 in ranges and 8 in ranges and 9 not in ranges and 39 in ranges and 40 not in ranges and 50 in ranges
    ranges.add(9, 9)
    assert ranges.ranges == [[0, 39], [50, 50]]
