"""Resources in a store: stream a type, read one, change one, add one, keeping versionId and columns in step.

Run changes that belong together (a booking: its slots and its appointment) inside
`gpsynth.store.transaction(con)`, on a connection from `open_store(path, read_only=False)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import duckdb
import orjson

from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_TYPES
from .schema import COMMON, RESOURCE_TABLES, Table


@dataclass(frozen=True)
class StoredResource:
    resource_type: str
    id: str
    version_id: int
    resource: bytes


def resource_table(resource_type: str) -> Table:
    if resource_type not in RESOURCE_TABLES:
        raise GpsynthError(f"no store table for resource type {resource_type!r}; allowed: {', '.join(RESOURCE_TABLES)}")
    return RESOURCE_TABLES[resource_type]


def checked_columns(table: Table, columns: dict) -> dict:
    typed = table.column_names[1:-len(COMMON)]
    for name in columns:
        if name not in typed:
            raise GpsynthError(f"{table.name}: no typed column {name!r}; allowed: {', '.join(typed)}")
    return columns


def stamped(resource: dict, version_id: int, last_updated: str) -> bytes:
    """The resource with meta.versionId and meta.lastUpdated set, as compact JSON."""
    meta = {**resource.get("meta", {}), "versionId": str(version_id), "lastUpdated": last_updated}
    return orjson.dumps({**resource, "meta": meta})


def same_content(stored: bytes | str, resource: Mapping) -> bool:
    """Whether `resource` says what the stored JSON says, apart from the version stamps in meta."""
    return _unstamped(orjson.loads(stored)) == _unstamped(resource)


def _unstamped(resource: Mapping) -> dict:
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    rest = {k: v for k, v in resource.items() if k != "meta"}
    return {**rest, "meta": meta} if meta else rest


def resource_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Resources per type as the store holds them now, for the types present, in dependency order."""
    counts = {}
    for resource_type in RESOURCE_TYPES:
        n = con.execute(f"SELECT count(*) FROM {RESOURCE_TABLES[resource_type].name}").fetchall()[0][0]
        if n:
            counts[resource_type] = n
    return counts


def stored_resources(con: duckdb.DuckDBPyConnection, resource_type: str, batch_rows: int = 10_000) -> Iterator[bytes]:
    """The JSON of every resource of one type, in output order, streamed in batches."""
    table = resource_table(resource_type)
    result = con.cursor().execute(f"SELECT resource FROM {table.name} ORDER BY shard, seq")
    while batch := result.fetchmany(batch_rows):
        for (text,) in batch:
            yield text.encode()


def _row(shard: int | None) -> tuple[str, list]:
    """The WHERE clause finding a row by id, narrowed to its shard when the caller knows it (much faster)."""
    return ("id = ?", []) if shard is None else ("shard = ? AND id = ?", [shard])


def read_resource(con: duckdb.DuckDBPyConnection, resource_type: str, resource_id: str,
                  shard: int | None = None) -> StoredResource | None:
    table = resource_table(resource_type)
    where, args = _row(shard)
    found = con.execute(f"SELECT version_id, resource FROM {table.name} WHERE {where}", [*args, resource_id]).fetchall()
    if not found:
        return None
    version_id, text = found[0]
    return StoredResource(resource_type, resource_id, version_id, text.encode())


def update_resource(con: duckdb.DuckDBPyConnection, resource_type: str, resource: dict, last_updated: str,
                    shard: int | None = None, **columns) -> bytes:
    """Replace a stored resource with a changed version; its version goes up by one.

    `columns` are the typed columns the change affects (e.g. status="busy" for a booked slot);
    instants may be given as ISO 8601 text. `shard`, when known, narrows the lookups to the row's
    shard. Returns the JSON as stored.
    """
    table = resource_table(resource_type)
    checked_columns(table, columns)
    resource_id = resource["id"]
    where, args = _row(shard)
    found = con.execute(f"SELECT version_id FROM {table.name} WHERE {where}", [*args, resource_id]).fetchall()
    if not found:
        raise GpsynthError(f"{resource_type}/{resource_id}: not in the store")
    version_id = found[0][0] + 1
    text = stamped(resource, version_id, last_updated)
    values = {**columns, "version_id": version_id, "last_updated": last_updated, "resource": text.decode()}
    assignments = ", ".join(f'"{name}" = ?' for name in values)
    con.execute(f"UPDATE {table.name} SET {assignments} WHERE {where}", [*values.values(), *args, resource_id]).fetchall()
    return text


def insert_resource(con: duckdb.DuckDBPyConnection, resource_type: str, resource: dict, last_updated: str,
                    shard: int | None = None, **columns) -> bytes:
    """Add a new resource at version 1, after the others of its practice.

    `columns` must include `organization_id` (the practice; its shard is looked up unless `shard`
    gives it, and then the id is checked against that shard's rows only) and should give every typed
    column of the table. Returns the JSON as stored.
    """
    table = resource_table(resource_type)
    checked_columns(table, columns)
    if "organization_id" not in columns:
        raise GpsynthError(f"{table.name}: a new row needs organization_id, to place it with its practice")
    if read_resource(con, resource_type, resource["id"], shard):
        raise GpsynthError(f"{resource_type}/{resource['id']}: already in the store")
    if shard is None:
        found = con.execute("SELECT shard FROM organization WHERE id = ?", [columns["organization_id"]]).fetchall()
        if not found:
            raise GpsynthError(f"Organization/{columns['organization_id']}: not in the store")
        shard = found[0][0]
    text = stamped(resource, 1, last_updated)
    values = {"id": resource["id"], **columns, "shard": shard, "version_id": 1, "last_updated": last_updated,
              "resource": text.decode()}
    names = ", ".join(f'"{name}"' for name in (*values, "seq"))
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO {table.name} ({names}) SELECT {marks}, coalesce(max(seq), 0) + 1 FROM {table.name} "
                "WHERE shard = ?", [*values.values(), values["shard"]]).fetchall()
    return text
