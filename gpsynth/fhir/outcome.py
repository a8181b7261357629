"""OperationOutcome resources: one issue saying what went wrong (or, as information, what happened)."""

from __future__ import annotations


def outcome_resource(code: str, diagnostics: str, *, severity: str = "error", coding: dict | None = None,
                      profile: str | None = None) -> dict:
    """An OperationOutcome with one issue; `coding` (e.g. a Spine error code) goes in its details."""
    issue: dict = {"severity": severity, "code": code}
    if coding is not None:
        issue["details"] = {"coding": [coding]}
    issue["diagnostics"] = diagnostics
    outcome: dict = {"resourceType": "OperationOutcome"}
    if profile is not None:
        outcome["meta"] = {"profile": [profile]}
    outcome["issue"] = [issue]
    return outcome
