"""A real third-party FHIR server for the loader tests: the Medplum FHIR router (R4, in memory) under Node.

`tests/servers/medplum/` holds the wrapper and the npm lock file; `npm ci --prefix tests/servers/medplum`
installs it (.ci/run does). Each MedplumServer is a server process on a free loopback port; `reset()`
empties it between tests.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import orjson

SERVER_DIR = Path(__file__).resolve().parents[1] / "servers" / "medplum"
START_TIMEOUT = 30.0


class ServerUnavailable(Exception):
    """Node or the npm packages are missing: the reason to skip locally, or to fail in CI."""


def missing_requirements() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH (Node 20.19 or newer runs the Medplum test server)"
    if not (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        return f"the Medplum packages are not installed: run `npm ci --prefix {SERVER_DIR}`"
    return None


class MedplumServer:
    """`node server.cjs` on port 0; `base` is its FHIR base URL once it answers."""

    def __init__(self):
        reason = missing_requirements()
        if reason:
            raise ServerUnavailable(reason)
        self.process = subprocess.Popen(["node", "server.cjs"], cwd=SERVER_DIR, env={**os.environ, "PORT": "0"},
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.base = self._wait_for_listening()
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _wait_for_listening(self) -> str:
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.process.kill()
            raise ServerUnavailable(f"the Medplum test server did not start: {self.process.stderr.read().decode()[-2000:]}")
        return orjson.loads(line)["listening"]

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                httpx.get(f"{self.base}/Organization", params={"_summary": "count"}, timeout=5).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def reset(self) -> None:
        """Empty the server (a route of the test wrapper, not of FHIR)."""
        httpx.post(f"{self.base}/$reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def stored(base: str, resource_type: str) -> dict[str, dict]:
    """Every resource of a type on the server, by id; fails if an id appears twice."""
    bundle = httpx.get(f"{base}/{resource_type}", params={"_count": "100000"}, timeout=60).raise_for_status().json()
    resources = [entry["resource"] for entry in bundle.get("entry", ())]
    by_id = {r["id"]: r for r in resources}
    assert len(by_id) == len(resources), f"{resource_type}: an id is stored twice"
    return by_id


def total(base: str, resource_type: str) -> int:
    return httpx.get(f"{base}/{resource_type}", params={"_summary": "count"}, timeout=60).raise_for_status().json()["total"]
