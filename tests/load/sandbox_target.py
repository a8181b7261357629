"""gpsynth's own sandbox as a load target: `gpsynth serve --admin` over an empty store, on a free port.

The administration surface takes transaction and batch Bundles of PUTs for the whole store at
`http://127.0.0.1:<port>/_gpsynth/fhir` (and for one practice at its service root).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from ports import free_port

from gpsynth import __version__
from gpsynth.info import DatasetInfo
from gpsynth.store import DEFAULT_STORE_NAME, StoreWriter

START_TIMEOUT = 30.0


def empty_store(folder: Path) -> Path:
    """A store with no resources, for a load to fill."""
    info = DatasetInfo("empty", "", 0, date(2026, 11, 25), "2026-11-25T00:00:00+00:00", __version__)
    StoreWriter(folder / DEFAULT_STORE_NAME, info).finish()
    return folder / DEFAULT_STORE_NAME


class SandboxServer:
    """`python -m gpsynth serve STORE --admin` (or without --admin) in a subprocess; `base` is the whole store's
    administration base."""

    def __init__(self, store: Path, admin: bool = True):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(store), *(["--admin"] if admin else []),
                                         "--port", str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/_gpsynth/fhir"

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gpsynth serve stopped: {self.process.stdout.read().decode()[-2000:]}")
            try:
                httpx.get(f"{self.base}/metadata", timeout=5)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
