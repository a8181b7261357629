"""Reading a consumer conformance journal as the sandbox writes it, and requests with a trace id of their own."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import orjson


def trace_id() -> str:
    return str(uuid.uuid4())


def journal_line(journal: Path, trace: str, timeout: float = 10, count: int = 1) -> dict:
    """The journal line of the request with Ssp-TraceID `trace`: the last, once there are `count` such lines."""
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in journal_lines(journal) if line.get("trace_id") == trace]
        if len(found) >= count:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no journal line for trace {trace} in {journal}")
        time.sleep(0.05)


def journal_lines(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    return [orjson.loads(line) for line in journal.read_bytes().splitlines() if line.strip()]
