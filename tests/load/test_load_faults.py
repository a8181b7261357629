"""Loads that meet trouble, into both real servers with the default options: a flaky network, and a loader
killed mid-run then resumed. Every resource ends up on the server exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import orjson
import pytest
from flaky_proxy import FlakyProxy
from load_support import dataset
from sandbox_target import SandboxServer, empty_store

from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.load import LoadOptions, RetryPolicy, load

QUICK_RETRIES = RetryPolicy(retries=12, base=0.05, cap=0.5, timeout=1.0)
ID_PAGE = 100


@pytest.fixture(params=["medplum", "sandbox"])
def servers(request, medplum_servers, tmp_path):
    """Two empty servers of one kind (Medplum's FHIR router, or `gpsynth serve --admin`): their FHIR bases."""
    if request.param == "medplum":
        yield medplum_servers(0).base, medplum_servers(1).base
        return
    started = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        started.append(SandboxServer(empty_store(tmp_path / name)))
    yield tuple(server.base for server in started)
    for server in started:
        server.stop()


def server_state(base: str, ids: dict[str, list[str]]) -> dict[str, dict[str, dict]]:
    """The resources with these ids on the server, by type and id, without the server's versionId and lastUpdated;
    fails if an id is missing or the server holds a resource of these types twice or beyond them."""
    state = {}
    for resource_type, wanted in ids.items():
        found = {}
        for at in range(0, len(wanted), ID_PAGE):
            page = wanted[at:at + ID_PAGE]
            bundle = httpx.get(f"{base}/{resource_type}", params={"_id": ",".join(page), "_count": str(ID_PAGE)},
                               timeout=60).raise_for_status().json()
            for entry in bundle.get("entry", ()):
                resource = entry["resource"]
                meta = {k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
                found[resource["id"]] = {**resource, "meta": meta}
        total = httpx.get(f"{base}/{resource_type}", params={"_summary": "count"}, timeout=60).raise_for_status().json()["total"]
        assert found.keys() == set(wanted) and total == len(wanted), f"{resource_type}: {total} stored for {len(wanted)} loaded"
        state[resource_type] = found
    return state


def test_flaky_network_load_completes_with_every_resource_once(small, servers, tmp_path):
    base = servers[0]
    ids = {t: list(r) for t, r in dataset(small).items()}
    server_path = httpx.URL(base).path.rstrip("/")
    with FlakyProxy(base, retry_after=1, late_seconds=1.5) as proxy:
        report = load(small, proxy.base + server_path, LoadOptions(retry=QUICK_RETRIES, checkpoint=tmp_path / "cp.json"))

    assert report.failed == 0 and report.ok
    for fault in ("drop", "drop-after", "500", "429", "late"):
        assert proxy.faults[fault] > 0, fault
    assert report.retry_reasons["HTTP 500"] and report.retry_reasons["HTTP 429"]
    assert report.retry_reasons["connection dropped"] and report.retry_reasons["timeout"]
    assert proxy.waits and min(proxy.waits) >= 1.0, "Retry-After: 1 is waited for before the same request comes again"
    server_state(base, ids)


def confirmed(checkpoint) -> int:
    try:
        data = orjson.loads(checkpoint.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return 0
    return sum(last - first + 1 for ranges in data["done"].values() for first, last in ranges)


def test_killed_load_resumes_to_the_same_state_as_a_clean_load(small, servers, tmp_path):
    clean, killed = servers
    ids = {t: list(r) for t, r in dataset(small).items()}
    resources = sum(map(len, ids.values()))
    load(small, clean, LoadOptions(checkpoint=tmp_path / "clean.json"))

    checkpoint = tmp_path / "killed.json"
    command = [sys.executable, "-m", "gpsynth", "load", str(small), "--server", killed, "--concurrency", "1",
               "--checkpoint", str(checkpoint)]
    loader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while confirmed(checkpoint) < 5 and loader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait()
    killed_at = confirmed(checkpoint)
    assert loader.returncode == -signal.SIGKILL and 5 <= killed_at < resources, "killed mid-run, after some resources"

    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert confirmed(checkpoint) == resources
    assert server_state(killed, ids) == server_state(clean, ids)
    assert set(RESOURCE_TYPES) == set(ids)


class BodyLimitProxy(FlakyProxy):
    """A proxy with a body limit, as gateways have: larger bodies are answered 413, or (`drop`) the
    connection is closed unanswered, as some proxies do."""

    def __init__(self, upstream: str, limit: int, drop: bool):
        super().__init__(upstream)
        self.limit, self.drop = limit, drop

    def fault_for(self, method: str, path: str, body: bytes) -> str:
        if len(body) <= self.limit:
            return "ok"
        self.faults["too large"] += 1
        return "drop" if self.drop else "413"


@pytest.mark.parametrize("drop", [False, True], ids=["413", "dropped"])
def test_a_proxys_body_limit_is_found_and_every_resource_still_stored(small, medplum, tmp_path, drop):
    ids = {t: list(r) for t, r in dataset(small).items()}
    with BodyLimitProxy(medplum.base, 40_000, drop) as proxy:
        report = load(small, proxy.base, LoadOptions(retry=QUICK_RETRIES, checkpoint=tmp_path / "cp.json"))
    assert report.ok and report.failed == 0 and proxy.faults["too large"] > 0
    server_state(medplum.base, ids)
