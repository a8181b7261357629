"""Loading into gpsynth's own sandbox (`gpsynth serve --admin`): STU3 as generated, every resource once."""

from __future__ import annotations

import httpx
import pytest
from load_support import dataset
from sandbox_target import SandboxServer, empty_store

from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.load import LoadOptions, load


@pytest.fixture
def sandbox(tmp_path):
    server = SandboxServer(empty_store(tmp_path))
    yield server
    server.stop()


def without_server_meta(resource: dict) -> dict:
    meta = {k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    return {**resource, "meta": meta}


def test_stu3_load_into_the_sandbox_creates_every_resource_then_a_second_load_changes_nothing(small, sandbox, tmp_path):
    expected = dataset(small)
    base = sandbox.base
    options = LoadOptions(checkpoint=tmp_path / "cp.json", verify=True)  # the defaults: auto mode, size, version

    first = load(small, base, options)
    assert first.ok and first.created == first.sent == sum(map(len, expected.values())) and first.r4_changes == {}
    assert (first.mode, first.fhir_version, first.notes) == ("transaction", "STU3", ())
    assert all(v.method == "count" and v.found == v.expected for v in first.verification)
    for resource_type in RESOURCE_TYPES:
        for resource_id, resource in list(expected[resource_type].items())[:20]:
            stored = httpx.get(f"{base}/{resource_type}/{resource_id}").raise_for_status().json()
            assert without_server_meta(stored) == without_server_meta(resource)

    versions = {r: httpx.get(f"{base}/{r}/{i}").json()["meta"]["versionId"] for r in RESOURCE_TYPES for i in expected[r]}
    again = load(small, base, options)
    assert again.ok and again.unchanged == again.sent == first.sent and again.created == again.updated == 0
    assert all(v.found == v.expected for v in again.verification), "a second load adds nothing"
    assert {r: httpx.get(f"{base}/{r}/{i}").json()["meta"]["versionId"] for r in RESOURCE_TYPES for i in expected[r]} == versions


def test_a_practice_root_verifies_by_id_and_unknown_practices_answer_404(small, sandbox, tmp_path):
    load(small, sandbox.base, LoadOptions(checkpoint=tmp_path / "cp.json"))
    resources = dataset(small)
    location = next(iter(resources["Location"].values()))
    practice_org = resources["Organization"][location["managingOrganization"]["reference"].split("/")[1]]
    ods = practice_org["identifier"][0]["value"]
    practice = sandbox.base.replace("/_gpsynth/fhir", f"/{ods}/STU3/1/gpconnect")
    # The practice's own count leaves out the NHS 111 organisation, which the dataset holds too: checked by id.
    report = load(small, practice, LoadOptions(checkpoint=tmp_path / "cp2.json", verify=True, only=("Organization",)))
    (organisations,) = report.verification
    assert report.ok and report.unchanged == report.sent
    assert organisations.method == "id search" and organisations.checked == organisations.expected > organisations.found
    unknown = httpx.get(sandbox.base.replace("/_gpsynth/fhir", "/NOPE1/STU3/1/gpconnect") + "/Slot", params={"_summary": "count"})
    assert unknown.status_code == 404
