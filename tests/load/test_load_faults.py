"""Loads that meet trouble: a flaky network, and a loader killed mid-run then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import orjson
from flaky_proxy import FlakyProxy
from load_support import dataset
from medplum_server import stored, total

from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.load import LoadOptions, RetryPolicy, load

QUICK_RETRIES = RetryPolicy(retries=12, base=0.05, cap=0.5, timeout=1.0)


def server_state(base: str) -> dict[str, dict[str, dict]]:
    """Every resource on the server by type and id, without the server-assigned versionId and lastUpdated."""
    state = {}
    for resource_type in RESOURCE_TYPES:
        resources = stored(base, resource_type)
        for resource in resources.values():
            meta = resource.get("meta", {})
            meta.pop("versionId", None)
            meta.pop("lastUpdated", None)
            if not meta:
                resource.pop("meta", None)
        state[resource_type] = resources
    return state


def test_flaky_network_load_completes_with_every_resource_once(small, medplum, tmp_path):
    expected = dataset(small)
    with FlakyProxy(medplum.base, retry_after=1, late_seconds=1.5) as proxy:
        report = load(small, proxy.base, LoadOptions(fhir_version="R4", bundle_size=50, concurrency=3, retry=QUICK_RETRIES,
                                                     checkpoint=tmp_path / "cp.json"))

    assert report.failed == 0 and report.ok
    for fault in ("drop", "drop-after", "500", "429", "late"):
        assert proxy.faults[fault] > 0, fault
    assert report.retry_reasons["HTTP 500"] and report.retry_reasons["HTTP 429"]
    assert report.retry_reasons["connection dropped"] and report.retry_reasons["timeout"]
    assert proxy.waits and min(proxy.waits) >= 1.0, "Retry-After: 1 is waited for before the same request comes again"
    for resource_type in RESOURCE_TYPES:
        assert total(medplum.base, resource_type) == len(expected[resource_type])
        assert stored(medplum.base, resource_type).keys() == expected[resource_type].keys()


def done_bundles(checkpoint) -> int:
    try:
        data = orjson.loads(checkpoint.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return 0
    return sum(hi - lo + 1 for ranges in data["done"].values() for lo, hi in ranges)


def test_killed_load_resumes_to_the_same_state_as_a_clean_load(small, medplum, medplum2, tmp_path):
    args = ["--fhir-version", "R4", "--mode", "batch", "--bundle-size", "20", "--concurrency", "1"]
    load(small, medplum.base, LoadOptions(fhir_version="R4", mode="batch", bundle_size=20, checkpoint=tmp_path / "clean.json"))

    checkpoint = tmp_path / "killed.json"
    command = [sys.executable, "-m", "gpsynth", "load", str(small), "--server", medplum2.base, *args, "--checkpoint", str(checkpoint)]
    loader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while done_bundles(checkpoint) < 5 and loader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait()
    total_bundles = sum(-(-len(resources) // 20) for resources in dataset(small).values())
    killed_at = done_bundles(checkpoint)
    assert loader.returncode == -signal.SIGKILL and 5 <= killed_at < total_bundles, "killed mid-run, after some bundles"

    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert done_bundles(checkpoint) == total_bundles
    assert server_state(medplum2.base) == server_state(medplum.base)
