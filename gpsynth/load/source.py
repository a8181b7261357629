"""Where a load reads from: a gpsynth store or output folder, resource by resource, one type at a time.

A store file (DuckDB, from `gpsynth generate --format duckdb`) is read from each resource table's
rendered JSON column, in output order; it holds the dataset as it is now, bookings made through the
sandbox included. A folder from `gpsynth generate` is read from its `ndjson/` files when it has them
(one file per type, so each type streams on its own), else from its `json/` Bundles, else from the
store inside it. Every source yields each resource's JSON bytes, a type at a time, in the order the
caller asks for (the loader asks in dependency order).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_TYPES
from ..store import DEFAULT_STORE_NAME, open_store, resource_counts, store_info, stored_resources
from ..store.database import store_file
from ..store.resources import resource_table

BUNDLE_START = b'{"resourceType":"Bundle"'
EXPECTED = ("a gpsynth store file or output folder (ndjson/manifest.json, json/*.json Bundles or "
            f"{DEFAULT_STORE_NAME} from `gpsynth generate`)")


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
        return cls({t: tuple(files[t]) for t in RESOURCE_TYPES if t in files},
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

    files: tuple[Path, ...]
    description: str
    fingerprint: str

    @classmethod
    def open(cls, folder: Path) -> JsonBundleFolder:
        files = tuple(sorted(folder.glob("*.json")))
        digest = hashlib.sha256()
        for path in files:
            digest.update(f"{path.name}:{path.stat().st_size};".encode())
        return cls(files, f"{folder} (JSON Bundles)", digest.hexdigest())

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


@dataclass(frozen=True)
class StoreFile:
    """A gpsynth store: each type's table, `resource` column, in output order (shard, seq)."""

    path: Path
    type_counts: dict[str, int]
    description: str
    fingerprint: str

    @classmethod
    def open(cls, path: Path) -> StoreFile:
        con = open_store(path)
        try:
            info = store_info(con)
            digest = hashlib.sha256(f"{info.scenario_name};{info.seed};{info.as_of};{info.scenario_yaml};".encode())
            for resource_type in RESOURCE_TYPES:
                # Bookings written back change a version or add a row, and so the fingerprint.
                rows, versions, last = con.execute(
                    f"SELECT count(*), coalesce(sum(version_id), 0), coalesce(max(seq), 0) "
                    f"FROM {resource_table(resource_type).name}").fetchall()[0]
                digest.update(f"{resource_type}:{rows}:{versions}:{last};".encode())
            counts = resource_counts(con)
        finally:
            con.close()
        return cls(path, counts, f"{path} (store)", digest.hexdigest())

    def counts(self) -> dict[str, int]:
        return dict(self.type_counts)

    def resources(self, resource_type: str) -> Iterator[bytes]:
        con = open_store(self.path)
        try:
            yield from stored_resources(con, resource_type)
        finally:
            con.close()


def open_source(path: str | Path) -> Source:
    """The source at `path`: a store file, a generated folder, or its ndjson/ or json/ folder."""
    path = Path(path)
    if path.is_file() or path.suffix == ".duckdb":
        return StoreFile.open(store_file(path))
    if not path.exists():
        raise GpsynthError(f"SOURCE {path}: no such file or folder; expected {EXPECTED}")
    if (path / "ndjson" / "manifest.json").is_file():
        return NdjsonFolder.open(path / "ndjson")
    if (path / "manifest.json").is_file():
        return NdjsonFolder.open(path)
    for folder in (path / "json", path):
        if _holds_bundles(folder):
            return JsonBundleFolder.open(folder)
    if (path / DEFAULT_STORE_NAME).is_file():
        return StoreFile.open(path / DEFAULT_STORE_NAME)
    raise GpsynthError(f"SOURCE {path}: not a gpsynth output; expected {EXPECTED}")


def _holds_bundles(folder: Path) -> bool:
    """True when the folder's first .json file starts as gpsynth writes a Bundle."""
    first = min(folder.glob("*.json"), default=None)
    if first is None:
        return False
    with open(first, "rb") as handle:
        return handle.read(len(BUNDLE_START)) == BUNDLE_START
