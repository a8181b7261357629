"""The administration endpoint (`gpsynth serve --admin`): FHIR Bundles of PUTs seed the store the interactions serve."""

import copy

import httpx
import orjson
import pytest
import yaml
from click.testing import CliRunner
from sandbox_process import GpcClient, SandboxServer, booking, days_ahead, entries, outcome_code

from gpsynth.cli import main
from gpsynth.load import LoadOptions, load

SEED_RULES = {
    "name": "admin-seed",
    "practices": {"count": 1, "list_size": 100, "branch_sites": 0, "ods_prefix": "GPT"},
    "calendar": {"horizon_days": 3, "history_days": 0, "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
    "availability": {"bookable_share": 1.0, "restrictions": []},
    "patients": {"special": {"deceased": 0, "sensitive": 0, "inactive": 0, "no-appointments": 0}},
}
NEW_ODS = "GPT0001"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """A one-practice dataset (ODS GPT0001) the store does not hold, by resource type."""
    folder = tmp_path_factory.mktemp("seed")
    (folder / "rules.yaml").write_text(yaml.safe_dump(SEED_RULES), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "--scenario", str(folder / "rules.yaml"), "--as-of",
                                       days_ahead(0).isoformat(), "--workers", "1", "--out", str(folder / "out")])
    assert result.exit_code == 0, result.output
    resources: dict[str, list[dict]] = {}
    for path in sorted((folder / "out" / "ndjson").glob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            resources.setdefault(resource["resourceType"], []).append(resource)
    resources["folder"] = folder / "out"
    return resources


@pytest.fixture(scope="module")
def server(store_copy, tmp_path_factory):
    server = SandboxServer(store_copy, tmp_path_factory.mktemp("log") / "serve.log", "--admin").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=60) as client:
        yield client


def bundle(kind: str, resources: list[dict], urls: list[str] | None = None) -> dict:
    urls = urls or [f"{r['resourceType']}/{r['id']}" for r in resources]
    return {"resourceType": "Bundle", "type": kind,
            "entry": [{"resource": r, "request": {"method": "PUT", "url": url}} for r, url in zip(resources, urls, strict=True)]}


def post(http, server, body: dict, ods: str = NEW_ODS, **headers) -> httpx.Response:
    return http.post(server.base(ods), content=orjson.dumps(body),
                     headers={"Content-Type": "application/fhir+json", **headers})


def count(http, server, resource_type: str, base: str | None = None) -> int:
    """How many resources of a type the whole store holds (or the practice at `base`)."""
    base = base or f"{server.origin}/_gpsynth/fhir"
    return http.get(f"{base}/{resource_type}", params={"_summary": "count"}).json()["total"]


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["response"]["status"] for entry in response.json()["entry"]]


def directory_of(seed: dict) -> list[dict]:
    return [*seed["Organization"], *seed["Location"], *seed["Practitioner"], *seed["Schedule"]]


@pytest.fixture
def new_practice(http, server, seed):
    """The seed's practice, slots and patients in the store (loading them again changes nothing), for a test run
    on its own too."""
    for resources in (directory_of(seed), [*seed["Slot"], *seed["Patient"]]):
        assert set(statuses(post(http, server, bundle("transaction", resources)))) <= {"200 OK", "201 Created"}


def test_a_transaction_seeds_a_new_practice_the_interactions_then_serve(http, server, seed):
    directory = directory_of(seed)
    created = post(http, server, bundle("transaction", directory), Prefer="return=minimal")
    assert created.json()["type"] == "transaction-response"
    shared = "GPSU01"     # the NHS 111 consumer organisation is in both datasets
    assert statuses(created) == ["200 OK" if r["id"] == shared else "201 Created" for r in directory]
    rest = [*seed["Slot"], *seed["Patient"]]
    assert set(statuses(post(http, server, bundle("transaction", rest)))) == {"201 Created"}

    gpc = GpcClient(server.base(NEW_ODS), http)
    slots = gpc.free_slots(days_ahead(1), days_ahead(2)).json()
    loaded_free = {s["id"] for s in seed["Slot"] if s["status"] == "free" and s["start"][:10] in
                   (str(days_ahead(1)), str(days_ahead(2)))}
    assert {s["id"] for s in entries(slots, "Slot")} == loaded_free
    patient = seed["Patient"][0]
    nhs = patient["identifier"][0]["value"]
    found = gpc.call("find_patient", "/Patient", params={"identifier": f"https://fhir.nhs.uk/Id/nhs-number|{nhs}"})
    assert entries(found.json())[0]["id"] == patient["id"]
    schedules = {s["id"]: s for s in entries(slots, "Schedule")}
    slot = entries(slots, "Slot")[0]
    appointment = booking(slot, schedules[slot["schedule"]["reference"].split("/")[1]], patient_id=patient["id"])
    booked = gpc.call("book_appointment", "/Appointment", json=appointment)
    assert booked.status_code == 201 and booked.json()["id"].startswith(f"{NEW_ODS}-A")

    again = post(http, server, bundle("transaction", directory))
    assert set(statuses(again)) == {"200 OK"}
    assert [e["response"]["etag"] for e in again.json()["entry"]] == [e["response"]["etag"] for e in created.json()["entry"]]
    assert all(e["response"]["outcome"]["issue"][0]["diagnostics"].startswith("unchanged") for e in again.json()["entry"])

    renamed = copy.deepcopy(seed["Location"][0])
    renamed["name"] += " (renamed)"
    changed = post(http, server, bundle("transaction", [renamed]))
    assert statuses(changed) == ["200 OK"] and changed.json()["entry"][0]["response"]["etag"] == 'W/"2"'
    assert "outcome" not in changed.json()["entry"][0]["response"]


def test_a_bad_entry_rejects_a_transaction_and_only_itself_in_a_batch(http, server, seed):
    patients = copy.deepcopy(seed["Patient"][:3])
    for patient in patients:
        patient["id"] += "-copy"
        patient["identifier"][0]["value"] = "9990000018"
    urls = [f"Patient/{p['id']}" for p in patients]
    urls[1] = "Patient/another-id"
    before = count(http, server, "Patient")
    rejected = post(http, server, bundle("transaction", patients, urls))
    assert rejected.status_code == 400 and "entry 2" in rejected.json()["issue"][0]["diagnostics"]
    assert count(http, server, "Patient") == before
    answered = post(http, server, bundle("batch", patients, urls))
    assert answered.json()["type"] == "batch-response"
    assert statuses(answered) == ["201 Created", "400", "201 Created"]
    assert answered.json()["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert count(http, server, "Patient") == before + 2


@pytest.mark.parametrize("body, status", [
    ({"resourceType": "Bundle", "type": "collection"}, 400),
    ({"resourceType": "Patient", "id": "1"}, 400),
])
def test_bundle_refusals(http, server, body, status):
    assert post(http, server, body).status_code == status


def test_entry_refusals(http, server, seed):
    slot = copy.deepcopy(seed["Slot"][0])
    slot["start"] = "tomorrow"
    answered = post(http, server, bundle("batch", [slot, seed["Slot"][1]]))
    assert statuses(answered)[0] == "422" and "Slot.start" in str(answered.json()["entry"][0])
    posted = bundle("batch", [seed["Slot"][1]])
    posted["entry"][0]["request"]["method"] = "POST"
    assert statuses(post(http, server, posted)) == ["400"]
    unknown = bundle("batch", [{"resourceType": "Observation", "id": "1"}])
    assert statuses(post(http, server, unknown)) == ["400"]


def test_single_put_read_and_count(http, server, seed, new_practice):
    practitioner = copy.deepcopy(seed["Practitioner"][0])
    practitioner["id"] = "admin-put-1"
    url = f"{server.base(NEW_ODS)}/Practitioner/admin-put-1"
    created = http.put(url, content=orjson.dumps(practitioner), headers={"Content-Type": "application/fhir+json"})
    assert created.status_code == 201 and created.headers["etag"] == 'W/"1"'
    assert created.json()["meta"]["versionId"] == "1"
    same = http.put(url, content=orjson.dumps(practitioner),
                    headers={"Content-Type": "application/fhir+json", "Prefer": "return=minimal"})
    assert same.status_code == 200 and same.content == b"" and same.headers["etag"] == 'W/"1"'
    practitioner["name"][0]["family"] += "-Jones"
    updated = http.put(url, content=orjson.dumps(practitioner),
                       headers={"Content-Type": "application/fhir+json", "Prefer": "return=minimal"})
    assert updated.status_code == 200 and updated.content == b"" and updated.headers["etag"] == 'W/"2"'
    read = http.get(url)
    assert read.status_code == 200 and read.json()["meta"]["versionId"] == "2"
    assert http.get(f"{server.base(NEW_ODS)}/Practitioner/nobody").status_code == 404
    assert count(http, server, "Practitioner") >= 5


def test_counts_are_the_practices_own_and_unknown_practices_answer_404(http, server, seed, new_practice):
    practice = count(http, server, "Slot", server.base(NEW_ODS))
    assert practice == len(seed["Slot"]) and count(http, server, "Slot") > practice
    unknown = http.get(f"{server.base('NOPE1')}/Slot", params={"_summary": "count"})
    assert unknown.status_code == 404 and unknown.json()["resourceType"] == "OperationOutcome"
    assert http.get(f"{server.base('NOPE1')}/Slot/{seed['Slot'][0]['id']}").status_code == 404


def test_gp_connect_requests_still_need_their_headers(http, server):
    gpc = GpcClient(server.base(), http)
    assert gpc.call("get_capability_statement", "/metadata").status_code == 200
    no_headers = http.get(server.base() + "/metadata")
    assert no_headers.status_code == 400 and outcome_code(no_headers) == "BAD_REQUEST"


def test_gpsynth_load_into_the_sandbox(http, server, seed, tmp_path):
    report = load(seed["folder"], server.base(NEW_ODS), LoadOptions(checkpoint=tmp_path / "checkpoint.json", verify=True))
    assert report.ok
    assert sum(t.failed for t in report.types) == 0
    assert all(v.ok for v in report.verification)


@pytest.mark.parametrize("body", [
    {"resourceType": "Bundle", "type": {"transaction": True}, "entry": []},
    {"resourceType": "Bundle", "type": "batch", "entry": 5},
    {"resourceType": "Bundle", "type": "batch", "entry": {"request": {}}},
    {"resourceType": "Bundle", "type": "transaction", "entry": [5]},
    {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": "PUT Slot/1", "resource": {}}]},
    {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "PUT", "url": 7}, "resource": {}}]},
    {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": ["PUT"], "url": "Slot/1"}}]},
])
def test_bundles_of_the_wrong_shape_are_refused_with_an_outcome(http, server, body):
    before = count(http, server, "Slot")
    answered = post(http, server, body)
    assert 400 <= answered.status_code < 500, answered.text
    outcomes = [answered.json()] if answered.json()["resourceType"] == "OperationOutcome" else [
        e["response"]["outcome"] for e in answered.json().get("entry", ())]
    assert outcomes and all(o["resourceType"] == "OperationOutcome" for o in outcomes)
    assert count(http, server, "Slot") == before


def test_a_slot_the_stu3_model_refuses_is_never_stored(http, server, seed):
    slot = copy.deepcopy(seed["Slot"][0])
    slot["id"] = "admin-no-start"
    del slot["start"]
    url = f"{server.base(NEW_ODS)}/Slot/admin-no-start"
    refused = http.put(url, content=orjson.dumps(slot), headers={"Content-Type": "application/fhir+json"})
    assert refused.status_code == 422 and "Slot.start" in refused.text
    assert http.get(url).status_code == 404, "nothing was stored"
    wrong_type = {**seed["Slot"][1], "id": "admin-bad-type", "serviceType": {"text": "not a list"}}
    answered = post(http, server, bundle("transaction", [wrong_type]))
    assert answered.status_code == 422 and "serviceType" in answered.text
    assert http.get(f"{server.base(NEW_ODS)}/Slot/admin-bad-type").status_code == 404
