"""gpsynth's own sandbox as a load target: `gpsynth serve --admin` over an empty store, on a free port.

The administration endpoint takes transaction and batch Bundles of PUTs at a practice's service root,
so a load's base URL is `http://127.0.0.1:<port>/<ODS>/STU3/1/gpconnect`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from gpsynth import __version__
from gpsynth.sinks.base import DatasetInfo
from gpsynth.store import DEFAULT_STORE_NAME, StoreWriter

START_TIMEOUT = 30.0


def empty_store(folder: Path) -> Path:
    """A store with no resources, for a load to fill."""
    info = DatasetInfo("empty", "", 0, date(2026, 11, 25), "2026-11-25T00:00:00+00:00", __version__)
    StoreWriter(folder / DEFAULT_STORE_NAME, info).finish()
    return folder / DEFAULT_STORE_NAME


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SandboxServer:
    """`python -m gpsynth serve STORE --admin` in a subprocess; `base(ods)` is a practice's service root."""

    def __init__(self, store: Path):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(store), "--admin",
                                         "--port", str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def base(self, ods: str) -> str:
        return f"http://127.0.0.1:{self.port}/{ods}/STU3/1/gpconnect"

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gpsynth serve stopped: {self.process.stdout.read().decode()[-2000:]}")
            try:
                httpx.get(f"{self.base('GPS0001')}/Organization", params={"_summary": "count"}, timeout=5).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
