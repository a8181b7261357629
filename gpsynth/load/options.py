"""What a load is asked to do: the options, checked once, and the parsers for their command-line forms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_TYPES

MODES = ("transaction", "batch", "individual")
FHIR_VERSIONS = ("STU3", "R4")
DEFAULT_CHECKPOINT = Path("gpsynth-load.checkpoint.json")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter on 429, 5xx, timeouts and dropped connections.

    The wait before retry n (1-based) is uniform in [0, min(cap, base * 2**(n-1))], and never
    shorter than the server's Retry-After.
    """

    retries: int = 6
    base: float = 0.5
    cap: float = 30.0
    timeout: float = 60.0  # seconds for one request to be written and answered

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise GpsynthError(f"--retries must be 0 or more, got {self.retries}")
        if self.base <= 0 or self.cap < self.base:
            raise GpsynthError(f"retry backoff needs 0 < base <= cap, got base {self.base}, cap {self.cap}")
        if self.timeout <= 0:
            raise GpsynthError(f"--timeout must be more than 0 seconds, got {self.timeout}")


@dataclass(frozen=True)
class LoadOptions:
    """How to send a dataset. `only` keeps these resource types (dependency order is kept regardless).

    None is "auto": `mode` and `fhir_version` follow the server's CapabilityStatement, and `bundle_size`
    starts large and settles on what the server accepts (gpsynth.load.sizing); a number given for
    `bundle_size` is where it starts.
    """

    mode: str | None = None
    bundle_size: int | None = None
    concurrency: int = 4
    only: tuple[str, ...] = RESOURCE_TYPES
    fhir_version: str | None = None
    keep_profiles: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    checkpoint: Path | None = DEFAULT_CHECKPOINT
    resume: bool = False
    verify: bool = False
    verify_samples: int = 5

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise GpsynthError(f"unknown --mode {self.mode!r}; allowed: auto, {', '.join(MODES)}")
        if self.fhir_version is not None and self.fhir_version not in FHIR_VERSIONS:
            raise GpsynthError(f"unknown --fhir-version {self.fhir_version!r}; allowed: auto, {', '.join(FHIR_VERSIONS)}")
        if self.bundle_size is not None and self.bundle_size < 1:
            raise GpsynthError(f"--bundle-size must be at least 1, got {self.bundle_size}")
        if self.concurrency < 1:
            raise GpsynthError(f"--concurrency must be at least 1, got {self.concurrency}")
        unknown = [t for t in self.only if t not in RESOURCE_TYPES]
        if unknown or not self.only:
            raise GpsynthError(f"--only {','.join(self.only)!r}: allowed resource types are {', '.join(RESOURCE_TYPES)}")
        if self.resume and self.checkpoint is None:
            raise GpsynthError("--resume needs a checkpoint file; pass --checkpoint FILE")

    @property
    def resource_types(self) -> tuple[str, ...]:
        """The chosen types, in dependency order."""
        return tuple(t for t in RESOURCE_TYPES if t in self.only)


def parse_auto(value: str) -> str | None:
    """A choice on the command line, where `auto` is None."""
    return None if value == "auto" else value


def parse_bundle_size(value: str) -> int | None:
    """`auto` → None; a whole number of 1 or more."""
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise GpsynthError(f"--bundle-size {value!r}: expected auto or a whole number of 1 or more")
    return int(value)


def parse_only(value: str | None) -> tuple[str, ...]:
    """`Slot,Appointment` → ('Slot', 'Appointment'); None → every type."""
    if value is None:
        return RESOURCE_TYPES
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_header(value: str) -> tuple[str, str]:
    """`'Authorization: Bearer abc'` → ('Authorization', 'Bearer abc')."""
    name, colon, header_value = value.partition(":")
    name, header_value = name.strip(), header_value.strip()
    if not colon or not HEADER_NAME.match(name) or not header_value:
        raise GpsynthError(f"--header {value!r}: expected 'Name: value', e.g. 'Authorization: Bearer TOKEN'")
    return name, header_value


def check_server(url: str) -> str:
    """The FHIR base URL without a trailing slash; http or https only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GpsynthError(f"--server {url!r}: expected an http(s) FHIR base URL, e.g. http://localhost:8080/fhir")
    return url.rstrip("/")
