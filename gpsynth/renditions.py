"""A generated dataset as it lies on disk: its renditions, found in a path and read resource by resource.

A dataset from `gpsynth generate` may hold up to three renditions of the same resources: `ndjson/` (FHIR
Bulk Data: a manifest listing each type's files and counts), `json/` (collection or transaction Bundles
holding every type), and a store (DuckDB; it holds the dataset as it is now, bookings made through the
sandbox included). `find_renditions` finds them in an output folder, in one of those folders, or in a
store file. Each rendition reads two ways, for its two kinds of reader:

- `counts()` and `resources(type)`: each resource's JSON bytes, a type at a time, in a stable order;
  anything that stops the reading is a GpsynthError (`gpsynth load`).
- `read(problems)`: every resource parsed, with where it stands; what is wrong with the files is added
  to `problems` and the reading goes on (`gpsynth validate`).

A store also reads its rows with every stored column, shard by shard (`StoreFile.shards`, for `gpsynth export`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import orjson

from .errors import GpsynthError
from .fhir.constants import RESOURCE_TYPES
from .store import DEFAULT_STORE_NAME, open_store, resource_counts, store_info, stored_resources
from .store.database import StoreInfo, store_file
from .store.resources import resource_table
from .store.rows import ShardRows
from .store.schema import RESOURCE_TABLES

BUNDLE_START = b'{"resourceType":"Bundle"'
EXPECTED = ("a gpsynth store file or output folder (ndjson/manifest.json, json/*.json Bundles or "
            f"{DEFAULT_STORE_NAME} from `gpsynth generate --out FOLDER`)")


@dataclass(frozen=True)
class Problem:
    """Something wrong found in a dataset."""

    check: str            # which rule: read, manifest, bundle, model, meta, id, reference, time, slot, booking, ...
    where: str            # file and line or entry, e.g. ndjson/Slot.ndjson:12
    resource_type: str
    resource_id: str
    message: str


class Rendition(Protocol):
    @property
    def kind(self) -> str:
        """ndjson, json or store."""

    @property
    def description(self) -> str:
        """For messages: what was opened."""

    @property
    def fingerprint(self) -> str:
        """Changes when the content could have changed."""

    def counts(self) -> dict[str, int]:
        """Resources per type, for the types present, in dependency order."""

    def resources(self, resource_type: str) -> Iterator[bytes]:
        """The JSON of every resource of one type, in a stable order."""

    def read(self, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
        """Every resource and where it stands; what is wrong with the files goes to `problems`."""


@dataclass(frozen=True)
class NdjsonFile:
    name: str            # as the manifest lists it
    resource_type: str
    count: int           # as the manifest says


@dataclass(frozen=True)
class NdjsonFolder:
    """FHIR Bulk Data layout: manifest.json lists each type's files and counts."""

    folder: Path
    files: tuple[NdjsonFile, ...]
    description: str
    fingerprint: str
    kind: str = "ndjson"

    @classmethod
    def open(cls, folder: Path) -> NdjsonFolder:
        manifest_path = folder / "manifest.json"
        try:
            raw = manifest_path.read_bytes()
            manifest = orjson.loads(raw)
            entries = manifest["output"]
            manifest["extension"]["gpsynth"]
            files = tuple(NdjsonFile(str(entry["url"]), entry.get("type"), int(entry.get("count", 0))) for entry in entries)
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
            raise GpsynthError(f"{manifest_path}: not a gpsynth NDJSON manifest ({problem}); expected {EXPECTED}") from None
        digest = hashlib.sha256(raw)
        for file in files:
            if file.resource_type not in RESOURCE_TYPES:
                raise GpsynthError(f"{manifest_path}: output type {file.resource_type!r} is not one of {', '.join(RESOURCE_TYPES)}")
            if not (folder / file.name).is_file():
                raise GpsynthError(f"{manifest_path}: lists {file.name}, which is missing from {folder}")
            digest.update(f"{file.name}:{(folder / file.name).stat().st_size};".encode())
        return cls(folder, files, f"{folder} (NDJSON)", digest.hexdigest())

    def counts(self) -> dict[str, int]:
        counts: Counter = Counter()
        for file in self.files:
            counts[file.resource_type] += file.count
        return {t: counts[t] for t in RESOURCE_TYPES if t in counts}

    def resources(self, resource_type: str) -> Iterator[bytes]:
        for file in self.files:
            if file.resource_type == resource_type:
                for line in self._lines(self.folder / file.name):
                    if line.strip():
                        yield line.strip()

    def read(self, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
        for file in self.files:
            label, lines = f"ndjson/{file.name}", 0
            for lines, line in enumerate(self._lines(self.folder / file.name), 1):
                where = f"{label}:{lines}"
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    problems.append(Problem("read", where, file.resource_type, "-", f"not JSON: {exc}"))
                    continue
                if not isinstance(resource, dict) or resource.get("resourceType") != file.resource_type:
                    problems.append(Problem("read", where, file.resource_type, "-", f"not a {file.resource_type} resource"))
                    continue
                yield resource, where
            if file.count != lines:
                problems.append(Problem("manifest", "ndjson/manifest.json", file.resource_type, "-",
                                        f"says {file.name} holds {file.count} resources; it holds {lines}"))
        listed = {file.name for file in self.files}
        for path in sorted(self.folder.glob("*.ndjson")):
            if path.name not in listed:
                problems.append(Problem("manifest", f"ndjson/{path.name}", "-", "-", "an NDJSON file the manifest does not list"))

    @staticmethod
    def _lines(path: Path) -> Iterator[bytes]:
        try:
            with open(path, "rb") as handle:
                yield from handle
        except OSError as exc:
            raise GpsynthError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class BundleFolder:
    """Bundles (collection or transaction) holding resources of every type."""

    folder: Path
    files: tuple[Path, ...]
    description: str
    fingerprint: str
    kind: str = "json"

    @classmethod
    def open(cls, folder: Path) -> BundleFolder:
        files = tuple(sorted(folder.glob("*.json")))
        digest = hashlib.sha256()
        for path in files:
            digest.update(f"{path.name}:{path.stat().st_size};".encode())
        return cls(folder, files, f"{folder} (JSON Bundles)", digest.hexdigest())

    def counts(self) -> dict[str, int]:
        counts = self._by_type.counts
        return {t: counts[t] for t in RESOURCE_TYPES if counts[t]}

    def resources(self, resource_type: str) -> Iterator[bytes]:
        path = self._by_type.files.get(resource_type)
        if path is not None:
            with open(path, "rb") as handle:
                for line in handle:
                    yield line.rstrip(b"\n")

    @cached_property
    def _by_type(self) -> _TypeSpool:
        """Every Bundle parsed once, its resources spooled to a file per type, so each type then reads on its own."""
        spool = _TypeSpool()
        for path, bundle in self._bundles():
            for n, entry in enumerate(bundle.get("entry", ()), 1):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if not isinstance(resource, dict) or resource.get("resourceType") not in RESOURCE_TYPES:
                    raise GpsynthError(f"{path}: entry {n} holds no resource of a type gpsynth writes ({', '.join(RESOURCE_TYPES)})")
                spool.add(resource["resourceType"], orjson.dumps(resource))
        spool.close()
        return spool

    def _bundles(self) -> Iterator[tuple[Path, dict]]:
        for path in self.files:
            try:
                bundle = orjson.loads(path.read_bytes())
            except OSError as exc:
                raise GpsynthError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
            except orjson.JSONDecodeError as exc:
                raise GpsynthError(f"{path}: not valid JSON ({exc})") from None
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
                raise GpsynthError(f"{path}: not a FHIR Bundle")
            yield path, bundle

    def read(self, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
        for path in self.files:
            label = f"json/{path.name}"
            try:
                bundle = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                problems.append(Problem("read", label, "-", "-", f"cannot read JSON: {exc}"))
                continue
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" \
                    or bundle.get("type") not in ("collection", "transaction"):
                problems.append(Problem("bundle", label, "Bundle", "-", "not a collection or transaction Bundle"))
                continue
            for n, entry in enumerate(bundle.get("entry", ()), 1):
                resource, where = entry.get("resource") if isinstance(entry, dict) else None, f"{label} entry {n}"
                if not isinstance(resource, dict):
                    problems.append(Problem("bundle", where, "Bundle", str(bundle.get("id")), "an entry without a resource"))
                    continue
                if bundle["type"] == "transaction":
                    resource_type, resource_id = str(resource.get("resourceType", "?")), str(resource.get("id", "?"))
                    expected = {"method": "PUT", "url": f"{resource_type}/{resource_id}"}
                    if entry.get("request") != expected:
                        problems.append(Problem("bundle", where, resource_type, resource_id,
                                                f"request is {entry.get('request')!r}; expected {expected!r}"))
                yield resource, where


class _TypeSpool:
    """Resources' JSON, one line each, in a temporary file per type (removed with the spool)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="gpsynth-bundles-")
        self.files: dict[str, Path] = {}
        self.counts: Counter = Counter()
        self._handles: dict = {}

    def add(self, resource_type: str, resource: bytes) -> None:
        if resource_type not in self._handles:
            self.files[resource_type] = Path(self._folder.name) / f"{resource_type}.ndjson"
            self._handles[resource_type] = open(self.files[resource_type], "wb")
        self._handles[resource_type].write(resource + b"\n")
        self.counts[resource_type] += 1

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


@dataclass(frozen=True)
class StoreFile:
    """A gpsynth store: each type's table, `resource` column, in output order (shard, seq)."""

    path: Path
    info: StoreInfo
    type_counts: dict[str, int]
    shard_count: int
    last_shard: int
    description: str
    fingerprint: str
    kind: str = "store"

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
            shard_count, last_shard = con.sql("SELECT count(*), coalesce(max(shard), 0) FROM shard").fetchall()[0]
        finally:
            con.close()
        return cls(path, info, counts, shard_count, last_shard, f"{path} (store)", digest.hexdigest())

    def counts(self) -> dict[str, int]:
        return dict(self.type_counts)

    def resources(self, resource_type: str) -> Iterator[bytes]:
        con = open_store(self.path)
        try:
            yield from stored_resources(con, resource_type)
        finally:
            con.close()

    def read(self, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
        for resource_type in self.type_counts:
            for n, text in enumerate(self.resources(resource_type), 1):
                yield orjson.loads(text), f"store {resource_type} row {n}"

    def shards(self) -> Iterator[ShardRows]:
        """Every shard, in output order, with each type's rows (every stored column) in output order."""
        selects = {}
        for resource_type, table in RESOURCE_TABLES.items():
            names = ", ".join(f'"{name}"' for name in table.column_names)
            selects[resource_type] = (f"SELECT {names} FROM {table.name} WHERE shard = ? ORDER BY seq", table.arrow_schema)
        con = open_store(self.path)
        try:
            for number, practice_ods in con.execute("SELECT shard, practice_ods FROM shard ORDER BY shard").fetchall():
                tables = {}
                for resource_type in RESOURCE_TYPES:
                    query, schema = selects[resource_type]
                    tables[resource_type] = con.sql(query, params=[number]).to_arrow_table().cast(schema)
                yield ShardRows(number, practice_ods, tables)
        finally:
            con.close()


def find_renditions(path: str | Path) -> dict[str, Rendition]:
    """The renditions at `path`, by kind, NDJSON first: a store file, an output folder (its ndjson/ and json/,
    else its store), or an ndjson/ or json/ folder itself."""
    path = Path(path)
    if path.is_file() or path.suffix == ".duckdb":
        return {"store": StoreFile.open(store_file(path))}
    if not path.is_dir():
        raise GpsynthError(f"{path}: no such file or folder; expected {EXPECTED}")
    if (path / "manifest.json").is_file():
        return {"ndjson": NdjsonFolder.open(path)}
    found: dict[str, Rendition] = {}
    if (path / "ndjson" / "manifest.json").is_file():
        found["ndjson"] = NdjsonFolder.open(path / "ndjson")
    for folder in (path / "json", path):
        if _holds_bundles(folder):
            found["json"] = BundleFolder.open(folder)
            break
    if not found and (path / DEFAULT_STORE_NAME).is_file():
        found["store"] = StoreFile.open(path / DEFAULT_STORE_NAME)
    if not found:
        raise GpsynthError(f"{path}: not a gpsynth output; expected {EXPECTED}")
    return found


def open_rendition(path: str | Path) -> Rendition:
    """The one rendition to read at `path`: NDJSON where there is, else Bundles, else the store."""
    return next(iter(find_renditions(path).values()))


def open_store_rendition(path: str | Path) -> StoreFile:
    """The store at `path` (the file, or an output folder holding one), for readers that need a store's rows."""
    path = Path(path)
    if path.is_dir() and not (path / DEFAULT_STORE_NAME).is_file():
        files = _files_without_store(path)
        if files:
            raise GpsynthError(f"{path}: holds {files}, no store; expected a store file or a folder holding "
                               f"{DEFAULT_STORE_NAME} (`gpsynth generate --format duckdb`)")
    return StoreFile.open(store_file(path))


def _files_without_store(folder: Path) -> str:
    """What gpsynth output a folder without a store holds, for a message; empty if none."""
    try:
        return "; ".join(rendition.description for rendition in find_renditions(folder).values())
    except GpsynthError:
        return ""


def _holds_bundles(folder: Path) -> bool:
    """True when the folder's first .json file starts as gpsynth writes a Bundle."""
    first = min(folder.glob("*.json"), default=None)
    if first is None:
        return False
    with open(first, "rb") as handle:
        return handle.read(len(BUNDLE_START)) == BUNDLE_START
