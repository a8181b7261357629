"""Reading what the server did with each resource: every entry's status, and its OperationOutcome text."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from .client import Reply

SNIPPET = 300  # characters of a non-FHIR error body quoted in a message


@dataclass(frozen=True)
class EntryOutcome:
    """The server's status for one resource (201 created, 200 updated or unchanged, else failed) and why it failed."""

    status: int
    message: str = ""
    unchanged: bool = False  # the server kept its stored version: the resource was identical

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Refusal:
    """The server refused a whole Bundle: its status and what it said."""

    status: int
    message: str


def outcome_text(outcome) -> str:
    """An OperationOutcome as one line: each issue's severity, code, text and where."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ""
    lines = []
    for issue in outcome.get("issue", ()):
        text = (issue.get("details") or {}).get("text") or issue.get("diagnostics") or ""
        where = ", ".join(issue.get("expression") or issue.get("location") or ())
        lines.append(f"{issue.get('severity', 'error')} {issue.get('code', '')}: {text}" + (f" at {where}" if where else ""))
    return "; ".join(lines)


def says_unchanged(outcome) -> bool:
    """Whether an entry's OperationOutcome says the update changed nothing (gpsynth's sandbox, HAPI's
    SUCCESSFUL_UPDATE_NO_CHANGE and similar)."""
    if not isinstance(outcome, dict):
        return False
    codes = [coding.get("code") or "" for issue in outcome.get("issue") or () if isinstance(issue, dict)
             for coding in (issue.get("details") or {}).get("coding") or () if isinstance(coding, dict)]
    said = " ".join([outcome_text(outcome), *map(str, codes)]).lower()
    return any(words in said for words in ("unchanged", "no change", "no_change", "not changed"))


def body_text(reply: Reply) -> str:
    try:
        text = outcome_text(orjson.loads(reply.body))
    except orjson.JSONDecodeError:
        text = ""
    return text or reply.body[:SNIPPET].decode("utf-8", "replace").strip() or "no response body"


def _status(value) -> int:
    """'201 Created' → 201; 0 when the entry names no status."""
    try:
        return int(str(value).split()[0])
    except (ValueError, IndexError):
        return 0


def single_outcome(reply: Reply) -> EntryOutcome:
    """The outcome of a PUT of one resource."""
    if 200 <= reply.status < 300:
        return EntryOutcome(reply.status)
    return EntryOutcome(reply.status, f"HTTP {reply.status}: {body_text(reply)}")


def bundle_outcomes(reply: Reply, count: int, bundle_type: str) -> list[EntryOutcome] | Refusal:
    """One outcome per entry sent, in order, from a transaction-response or batch-response; or the
    refusal of the whole Bundle."""
    if not 200 <= reply.status < 300:
        return Refusal(reply.status, f"{bundle_type} rejected: HTTP {reply.status}: {body_text(reply)}")
    try:
        answer = orjson.loads(reply.body)
        answered = answer["entry"] if isinstance(answer, dict) else None
    except (orjson.JSONDecodeError, KeyError):
        answered = None
    if not isinstance(answered, list) or len(answered) != count:
        found = len(answered) if isinstance(answered, list) else "no"
        unreadable = EntryOutcome(0, f"the {bundle_type}-response has {found} entries for {count} sent: {body_text(reply)}")
        return [unreadable] * count
    outcomes = []
    for entry in answered:
        response = entry.get("response") or {}
        status = _status(response.get("status"))
        if 200 <= status < 300:
            outcomes.append(EntryOutcome(status, unchanged=status == 200 and says_unchanged(response.get("outcome"))))
        else:
            outcomes.append(EntryOutcome(status, f"HTTP {status}: {outcome_text(response.get('outcome')) or 'no OperationOutcome'}"))
    return outcomes
