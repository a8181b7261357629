"""Where a load reads from: a gpsynth output folder, resource by resource, one type at a time.

A folder from `gpsynth generate` is read from its `ndjson/` files when it has them (one file per type,
so each type streams on its own), else from its `json/` Bundles. Every source yields each resource's
JSON bytes, a type at a time, in the order the caller asks for (the loader asks in dependency order).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import orjson

from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_TYPES

BUNDLE_START = b'{"resourceType":"Bundle"'
EXPECTED = "a gpsynth output folder (ndjson/manifest.json or json/*.json Bundles from `gpsynth generate`)"


class Source(Protocol):
    description: str  # for messages: what was opened
    fingerprint: str  # changes when the content could have changed

    def counts(self) -> dict[str, int]:
        """Resources per type, for the types present, in dependency order."""

    def resources(self, resource_type: str) -> Iterator[bytes]:
        """The JSON of every resource of one type, in a stable order."""


@dataclass(frozen=True)
class NdjsonFolder:
    """FHIR Bulk Data layout: manifest.json lists each type's files and counts."""

    folder: Path
    files: dict[str, tuple[Path, ...]]
    type_counts: dict[str, int]
    description: str
    fingerprint: str

    @classmethod
    def open(cls, folder: Path) -> NdjsonFolder:
        manifest_path = folder / "manifest.json"
        try:
            raw = manifest_path.read_bytes()
            manifest = orjson.loads(raw)
            entries = manifest["output"]
            manifest["extension"]["gpsynth"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise GpsynthError(f"{manifest_path}: not a gpsynth NDJSON manifest ({exc.__class__.__name__}: {exc}); expected {EXPECTED}")
        files: dict[str, list[Path]] = {}
        counts = Counter()
        for entry in entries:
            if entry.get("type") not in RESOURCE_TYPES:
                raise GpsynthError(f"{manifest_path}: output type {entry.get('type')!r} is not one of {', '.join(RESOURCE_TYPES)}")
            path = folder / entry["url"]
            if not path.is_file():
                raise GpsynthError(f"{manifest_path}: lists {entry['url']}, which is missing from {folder}")
            files.setdefault(entry["type"], []).append(path)
            counts[entry["type"]] += int(entry.get("count", 0))
        digest = hashlib.sha256(raw)
        for paths in files.values():
            for path in paths:
                digest.update(f"{path.name}:{path.stat().st_size};".encode())
        return cls(folder, {t: tuple(files[t]) for t in RESOURCE_TYPES if t in files},
                   {t: counts[t] for t in RESOURCE_TYPES if t in files}, f"{folder} (NDJSON)", digest.hexdigest())

    def counts(self) -> dict[str, int]:
        return dict(self.type_counts)

    def resources(self, resource_type: str) -> Iterator[bytes]:
        for path in self.files.get(resource_type, ()):
            try:
                with open(path, "rb") as handle:
                    for line in handle:
                        line = line.strip()
                        if line:
                            yield line
            except OSError as exc:
                raise GpsynthError(f"{path}: cannot read the source file ({exc.strerror or exc})")


@dataclass(frozen=True)
class JsonBundleFolder:
    """Bundles (collection or transaction) holding resources of every type; read once per type."""

    folder: Path
    files: tuple[Path, ...]
    description: str
    fingerprint: str

    @classmethod
    def open(cls, folder: Path) -> JsonBundleFolder:
        files = tuple(sorted(folder.glob("*.json")))
        digest = hashlib.sha256()
        for path in files:
            digest.update(f"{path.name}:{path.stat().st_size};".encode())
        return cls(folder, files, f"{folder} (JSON Bundles)", digest.hexdigest())

    def _bundle_resources(self) -> Iterator[dict]:
        for path in self.files:
            try:
                bundle = orjson.loads(path.read_bytes())
            except OSError as exc:
                raise GpsynthError(f"{path}: cannot read the source file ({exc.strerror or exc})")
            except orjson.JSONDecodeError as exc:
                raise GpsynthError(f"{path}: not valid JSON ({exc})")
            for entry in bundle.get("entry", ()):
                yield entry["resource"]

    def counts(self) -> dict[str, int]:
        counts = Counter(resource["resourceType"] for resource in self._bundle_resources())
        return {t: counts[t] for t in RESOURCE_TYPES if counts[t]}

    def resources(self, resource_type: str) -> Iterator[bytes]:
        for resource in self._bundle_resources():
            if resource["resourceType"] == resource_type:
                yield orjson.dumps(resource)


def open_source(path: str | Path) -> Source:
    """The source at `path`: a generated folder, or its ndjson/ or json/ folder."""
    path = Path(path)
    if not path.exists():
        raise GpsynthError(f"SOURCE {path}: no such file or folder; expected {EXPECTED}")
    if path.is_dir():
        if (path / "ndjson" / "manifest.json").is_file():
            return NdjsonFolder.open(path / "ndjson")
        if (path / "manifest.json").is_file():
            return NdjsonFolder.open(path)
        for folder in (path / "json", path):
            if _holds_bundles(folder):
                return JsonBundleFolder.open(folder)
    raise GpsynthError(f"SOURCE {path}: not a gpsynth output; expected {EXPECTED}")


def _holds_bundles(folder: Path) -> bool:
    """True when the folder's first .json file starts as gpsynth writes a Bundle."""
    first = min(folder.glob("*.json"), default=None)
    if first is None:
        return False
    with open(first, "rb") as handle:
        return handle.read(len(BUNDLE_START)) == BUNDLE_START
