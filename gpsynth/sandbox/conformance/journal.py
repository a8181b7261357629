"""The consumer conformance journal: one JSON line per GP Connect request, with the rules it broke and advisories.

Each line: time, practice, interaction, the consumer's ASID and trace id, status (None when nothing was
answered), whether the answer was delivered, latency, the rules the request broke (stable id, one-line
explanation, spec section, what the sandbox said), advisories for legal but suspect behaviour, and the chaos
fault injected, if any. Tokens and bodies are never written. The latest entries are also kept for the live page.

Lines are written through a buffer that is flushed FLUSH_SECONDS after the first line that went into it (and at
shutdown): a reader following the file sees each line within that time, and a busy sandbox makes one write
for many requests. The journal is a record for the consumer's team, not the store's durability log: a sandbox
killed with -9 may leave the last FLUSH_SECONDS of lines out.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NotRequired, TypedDict

import orjson

from ...errors import GpsynthError
from ..context import GpcRequest
from ..errors import GpcError
from .rules import ADVISORIES, Rule, violation_of

LATEST = 60                   # entries the live page shows
TRACE_IDS = 200_000           # trace ids remembered for the reuse advisory
FLUSH_SECONDS = 0.1
OFFERED_SLOTS = 500_000       # slot ids remembered as offered by a search (the oldest are forgotten first)
EXPIRY_MARGIN = 30            # seconds: a token closer than this to exp is flagged
UPDATES = ("amend_appointment", "cancel_appointment")


class Verdict(TypedDict):
    """A rule a request broke, or an advisory about it: stable id, one-line explanation, spec section."""

    rule: str
    explanation: str
    section: str
    detail: NotRequired[str]        # what the sandbox said, or what drew the advisory


class JournalLine(TypedDict):
    """One journal line."""

    time: str
    practice: str | None
    interaction: str | None
    interaction_id: str | None
    consumer: str | None
    trace_id: str | None
    method: str
    path: str
    status: int | None
    delivered: bool
    latency_ms: float
    violations: list[Verdict]
    advisories: list[Verdict]
    chaos: NotRequired[dict]


def _rule(rule: Rule, detail: str | None = None) -> Verdict:
    found = Verdict(rule=rule.id, explanation=rule.explanation, section=rule.section)
    if detail:
        found["detail"] = detail
    return found


class ConsumerJournal:
    """Verdicts on each request, written to `path` (when given) and kept in memory for the live page."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else None
        self.file: IO[bytes] | None = self.path.open("ab", buffering=1024 * 1024) if self.path else None
        self.flush_due = False
        self.latest: deque[JournalLine] = deque(maxlen=LATEST)
        self.trace_ids: OrderedDict[str, None] = OrderedDict()
        self.offered: OrderedDict[str, None] = OrderedDict()

    def advisories(self, headers: Mapping[str, str], request: GpcRequest | None, offered: tuple[str, ...]) -> list[Verdict]:
        found: list[Verdict] = []
        trace_id = headers.get("ssp-traceid")
        if trace_id:
            if trace_id in self.trace_ids:
                found.append(_rule(ADVISORIES["trace-id-reused"], f"Ssp-TraceID {trace_id}"))
            self.trace_ids[trace_id] = None
            if len(self.trace_ids) > TRACE_IDS:
                self.trace_ids.popitem(last=False)
        self.offered.update(dict.fromkeys(offered))
        while len(self.offered) > OFFERED_SLOTS:
            self.offered.popitem(last=False)
        if request is None:
            return found
        name = request.interaction.name
        if name == "book_appointment":
            unseen = [ref.get("reference", "") for ref in (request.body or {}).get("slot") or ()
                      if isinstance(ref, dict) and str(ref.get("reference", "")).partition("/")[2] not in self.offered]
            if unseen:
                found.append(_rule(ADVISORIES["slot-not-searched"], ", ".join(map(str, unseen))))
        if name in UPDATES and "if-match" not in headers:
            found.append(_rule(ADVISORIES["update-without-if-match"]))
        left = request.claims.expires_at - request.now
        if left < EXPIRY_MARGIN:
            found.append(_rule(ADVISORIES["jwt-expiry-close"], f"exp is {left:.0f} s after the request arrived"))
        return found

    def record(self, entry: JournalLine) -> None:
        self.latest.append(entry)
        if self.file is not None:
            self.file.write(orjson.dumps(entry) + b"\n")
            if not self.flush_due:
                self.flush_due = True
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self.flush_due = False
        if self.file is not None and not self.file.closed:
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def check_journal_path(path: Path) -> Path:
    """A journal file that can be appended to; GpsynthError saying why not."""
    try:
        path.open("ab").close()
    except OSError as exc:
        raise GpsynthError(f"--journal {path}: cannot write it: {exc.strerror or exc}") from None
    return path


def violations(refusal: GpcError | None) -> list[Verdict]:
    if refusal is None:
        return []
    rule = violation_of(refusal)
    return [_rule(rule, refusal.diagnostics)] if rule else []


def entry(*, wall: float, practice: str | None, interaction: str | None, headers: Mapping[str, str], method: str,
          path: str, status: int | None, delivered: bool, latency: float, refusal: GpcError | None,
          advisories: list[Verdict], chaos: dict | None) -> JournalLine:
    line: JournalLine = {
        "time": datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "practice": practice, "interaction": interaction,
        "interaction_id": headers.get("ssp-interactionid"), "consumer": headers.get("ssp-from"),
        "trace_id": headers.get("ssp-traceid"), "method": method, "path": path, "status": status,
        "delivered": delivered, "latency_ms": round(latency * 1000, 2),
        "violations": violations(refusal), "advisories": advisories}
    if chaos:
        line["chaos"] = chaos
    return line
