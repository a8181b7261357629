"""What a load did, or would do: the plan, the per-type tallies, failures, R4 changes and verification."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_FAILURES = 100  # failures kept with their message; `failed` counts them all


@dataclass(frozen=True)
class PlannedType:
    resource_type: str
    resources: int
    bundles: int
    bundles_done: int  # already confirmed by the checkpoint being resumed


@dataclass(frozen=True)
class LoadPlan:
    source: str
    server: str
    mode: str
    bundle_size: int
    concurrency: int
    fhir_version: str
    types: tuple[PlannedType, ...]

    @property
    def resources(self) -> int:
        return sum(t.resources for t in self.types)

    @property
    def bundles(self) -> int:
        return sum(t.bundles for t in self.types)


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
    failed: int
    bundles: int    # sent by this run


@dataclass(frozen=True)
class TypeVerification:
    """Read back after the load: the server's count for the type and a sample of ids."""

    resource_type: str
    expected: int
    found: int | None  # the server's total; None when it gave none
    sampled: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.found is not None and self.found >= self.expected and not self.missing


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
