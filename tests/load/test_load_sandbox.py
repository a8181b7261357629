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


def test_stu3_load_into_the_sandbox_creates_then_updates_every_resource(small, sandbox, tmp_path):
    expected = dataset(small)
    base = sandbox.base("GPS0001")
    options = LoadOptions(bundle_size=200, concurrency=2, checkpoint=tmp_path / "cp.json", verify=True)

    first = load(small, base, options)
    assert first.ok and first.created == first.sent == sum(map(len, expected.values())) and first.r4_changes == {}
    assert all(v.found == v.expected for v in first.verification)
    for resource_type in RESOURCE_TYPES:
        for resource_id, resource in list(expected[resource_type].items())[:20]:
            stored = httpx.get(f"{base}/{resource_type}/{resource_id}").raise_for_status().json()
            assert without_server_meta(stored) == without_server_meta(resource)

    again = load(small, base, options)
    assert again.ok and again.updated == again.sent == first.sent and again.created == 0
    assert all(v.found == v.expected for v in again.verification), "a second load adds nothing"
