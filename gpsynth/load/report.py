"""What a load did, or would do: the plan, the per-type tallies, failures, R4 changes and verification."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_FAILURES = 100  # failures kept with their message; `failed` counts them all


@dataclass(frozen=True)
class PlannedType:
    resource_type: str
    resources: int
    done: int  # resources already confirmed by the checkpoint being resumed


@dataclass(frozen=True)
class LoadPlan:
    """What a load would send; `auto` choices are made when the load reads the server's CapabilityStatement."""

    source: str
    server: str
    mode: str
    bundle_size: str
    concurrency: int
    fhir_version: str
    types: tuple[PlannedType, ...]

    @property
    def resources(self) -> int:
        return sum(t.resources for t in self.types)


@dataclass(frozen=True)
class Failure:
    """A resource the server did not store, with the server's status and OperationOutcome text."""

    resource_type: str
    id: str
    status: int
    message: str


@dataclass(frozen=True)
class TypeTally:
    resource_type: str
    resources: int  # in the source
    skipped: int    # in bundles the resumed checkpoint had confirmed
    sent: int
    created: int
    updated: int
    unchanged: int  # the server kept its stored version: the resource was identical
    failed: int
    bundles: int    # sent by this run


@dataclass(frozen=True)
class TypeVerification:
    """Read back after the load: how the type was checked, how many ids, and which of them are missing.

    `method` is "count" (the server's total for the base equals the resources loaded, and a sample read
    back by id), "id search" (every loaded id searched for with `_id`), or "sampled reads" (the server
    neither counts this scope exactly nor searches by `_id`: only a sample could be read back).
    """

    resource_type: str
    expected: int
    found: int | None  # the server's total for the type; None when it gave none
    method: str
    checked: int       # ids looked for
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and (self.method != "count" or self.found == self.expected)


@dataclass(frozen=True)
class LoadReport:
    source: str
    server: str
    mode: str
    fhir_version: str
    types: tuple[TypeTally, ...]
    retry_reasons: dict[str, int]  # e.g. {"HTTP 429": 3, "timeout": 1}
    seconds: float                 # sending, without the read-back of --verify
    failures: tuple[Failure, ...]  # the first MAX_FAILURES
    r4_changes: dict[str, int]     # change → resources changed, when --fhir-version R4
    verification: tuple[TypeVerification, ...] | None
    checkpoint: Path | None
    notes: tuple[str, ...] = ()    # choices made from the server's answers (version, mode, bundle size)
    failed_file: Path | None = None  # one line per resource the server refused

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.types)

    @property
    def created(self) -> int:
        return sum(t.created for t in self.types)

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.types)

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.types)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.types)

    @property
    def skipped(self) -> int:
        return sum(t.skipped for t in self.types)

    @property
    def retries(self) -> int:
        return sum(self.retry_reasons.values())

    @property
    def resources_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        """Nothing failed, and verification (when asked for) found everything."""
        return not self.failed and all(v.ok for v in self.verification or ())
