"""Rows a running sandbox changes: read from the store, carried in the journal, folded back into the store.

A `LiveRow` is one version of one store row: its place (shard, seq), version, JSON and the typed
columns the sandbox works with, instants and dates as ISO 8601 text, so it can be journalled as JSON.
A row new to the store carries every typed column; a row read from the store carries the few its
type's interactions need (`LIVE_COLUMNS`: each column read costs a point lookup about as much as the
JSON does). Folding writes a new row whole, after deleting any row of its id (so folding the same
rows twice changes nothing), with the next `seq` of its shard; a stored row is updated in the
columns it carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ..calendar import instant_at
from .resources import resource_table, stamped
from .schema import Table
from .upsert import arrow_rows


@dataclass(frozen=True, slots=True)
class LiveRow:
    resource_type: str
    id: str
    shard: int
    seq: int | None            # None: not in the store yet
    version_id: int
    last_updated: str
    resource: bytes
    columns: Mapping[str, Any]  # the table's typed columns

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.id

    def changed(self, resource: dict, last_updated: str, **columns: Any) -> LiveRow:
        """The next version of the row: `resource` stamped with the next versionId, the typed columns given changed."""
        version_id = self.version_id + 1
        return replace(self, version_id=version_id, last_updated=last_updated,
                       resource=stamped(resource, version_id, last_updated), columns={**self.columns, **columns})


def new_row(resource_type: str, resource: dict, last_updated: str, shard: int, columns: Mapping[str, Any]) -> LiveRow:
    """Version 1 of a resource new to the store."""
    return LiveRow(resource_type, resource["id"], shard, None, 1, last_updated, stamped(resource, 1, last_updated),
                   dict(columns))


def encode_rows(rows: Sequence[LiveRow]) -> bytes:
    """The rows as one journal record."""
    return orjson.dumps([[r.resource_type, r.id, r.shard, r.seq, r.version_id, r.last_updated, r.resource.decode(),
                          r.columns] for r in rows])


def decode_rows(record: bytes) -> list[LiveRow]:
    return [LiveRow(kind, row_id, shard, seq, version_id, last_updated, text.encode(), columns)
            for kind, row_id, shard, seq, version_id, last_updated, text, columns in orjson.loads(record)]


STAMPS = ("version_id", "last_updated", "resource")
FETCH_ROWS = 10_000
# The typed columns read with a stored row, per resource type: what the interactions check and change.
LIVE_COLUMNS = {
    "Appointment": ("status", "start", "patient_id", "organization_id"),
    "Patient": ("nhs_number", "family", "given", "birth_date", "organization_id", "state"),
    "Slot": ("schedule_id", "start", "end", "status", "delivery_channel", "bookable", "restrict_org_types",
             "restrict_ods_codes"),
    "Location": ("organization_id",), "Practitioner": ("organization_id",), "Schedule": ("organization_id",),
}


# The typed columns a read needs, per resource type: fewer columns, a quicker point lookup.
READ_COLUMNS = {"Appointment": ("start", "organization_id", "patient_id"), "Patient": ("organization_id", "state")}


def stored_rows(con: duckdb.DuckDBPyConnection, resource_type: str, column: str, values: Sequence[str],
                typed: tuple[str, ...] | None = None) -> list[LiveRow]:
    """The store's rows whose `column` is one of `values` (a lookup the served store's indexes answer), in output
    order, with the typed columns `typed` (default: `LIVE_COLUMNS`) and `column` itself."""
    typed = LIVE_COLUMNS.get(resource_type, ()) if typed is None else typed
    if column != "id" and column not in typed:
        typed = (*typed, column)
    marks = ", ".join("?" for _ in values)
    return rows_where(con, resource_type, f'"{column}" IN ({marks})', list(values), typed)


def rows_where(con: duckdb.DuckDBPyConnection, resource_type: str, condition: str, params: Sequence[Any],
               typed: tuple[str, ...] | None = None) -> list[LiveRow]:
    """The store's rows matching the SQL `condition`, in output order, with the typed columns `typed`
    (default: `LIVE_COLUMNS`)."""
    table = resource_table(resource_type)
    kinds = dict(table.columns)
    typed = LIVE_COLUMNS.get(resource_type, ()) if typed is None else typed
    names = ("id", "shard", "seq", "version_id", "last_updated", "resource", *typed)
    select = ", ".join(_readable(name, kinds[name]) for name in names)
    found = []
    for row in fetch_in_batches(con.execute(f"SELECT {select} FROM {table.name} WHERE {condition}", list(params))):
        row_id, shard, seq, version_id, last_updated, resource, *read = row
        columns = {name: instant_at(v) if kinds[name] == "TIMESTAMPTZ" and v is not None else v
                   for name, v in zip(typed, read, strict=True)}
        found.append(LiveRow(resource_type, row_id, shard, seq, version_id, instant_at(last_updated), resource, columns))
    return sorted(found, key=lambda row: (row.shard, row.seq))


def packed_rows_where(con: duckdb.DuckDBPyConnection, resource_type: str, condition: str, params: Sequence[Any],
                      keys: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """The rows of `rows_where`, in no particular order, as Arrow batches made by DuckDB for holding rows packed
    (gpsynth.sandbox.packed_rows): `id`, the `keys` columns, `header` (the row's id, shard, seq, version, last
    update and `LIVE_COLUMNS` as a JSON array, instants as UNIX seconds) and `resource`, both as bytes."""
    table = resource_table(resource_type)
    kinds = dict(table.columns)
    columns = ", ".join(f"'{name}', {_readable(name, kinds[name])}" for name in LIVE_COLUMNS.get(resource_type, ()))
    header = (f"json_array(id, shard, seq, version_id, {_readable('last_updated', 'TIMESTAMPTZ')}, "
              f"json_object({columns}))")
    select = ", ".join(("id", *(f'"{key}"' for key in keys), f"encode({header}) AS header",
                        'encode("resource") AS resource'))
    query = con.sql(f"SELECT {select} FROM {table.name} WHERE {condition}", params=list(params))
    yield from query.to_arrow_reader(FETCH_ROWS)


def fetch_in_batches(result: duckdb.DuckDBPyConnection, rows: int = FETCH_ROWS) -> Iterator[tuple]:
    """A query's rows a batch at a time: reading a whole table at start-up then never holds it twice over."""
    while batch := result.fetchmany(rows):
        yield from batch


def _readable(name: str, sql: str) -> str:
    """A column as the select reads it: instants as UNIX seconds, dates as ISO 8601 text (far quicker than datetimes)."""
    if sql == "TIMESTAMPTZ":
        return f'epoch("{name}")::BIGINT'
    if sql == "DATE":
        return f'CAST("{name}" AS VARCHAR)'
    if name == "resource":
        return 'encode("resource")'      # bytes, as the sandbox holds and sends it, without a str in between
    return f'"{name}"'


def fold_rows(con: duckdb.DuckDBPyConnection, rows: Iterable[LiveRow]) -> dict[tuple[str, str], int]:
    """Write the newest of `rows` per id into the store; the seq given to each row new to the store.

    Run it inside `gpsynth.store.transaction(con)`.
    """
    latest: dict[str, dict[str, LiveRow]] = {}
    for row in rows:
        latest.setdefault(row.resource_type, {})[row.id] = row
    assigned: dict[tuple[str, str], int] = {}
    for resource_type, by_id in latest.items():
        table = resource_table(resource_type)
        new = [row for row in by_id.values() if row.seq is None]
        if new:
            assigned.update(_insert(con, table, new))
        by_columns: dict[tuple[str, ...], list[LiveRow]] = {}
        for row in by_id.values():
            if row.seq is not None:
                by_columns.setdefault(tuple(row.columns), []).append(row)
        for names, group in by_columns.items():
            _update(con, table, names, group)
    return assigned


def _insert(con: duckdb.DuckDBPyConnection, table: Table, rows: list[LiveRow]) -> dict[tuple[str, str], int]:
    """Add rows new to the store, each after the rows of its shard (replacing one of its id left by an earlier fold)."""
    shards = sorted({row.shard for row in rows})
    next_seq = dict(con.execute(f"SELECT shard, max(seq) FROM {table.name} WHERE shard IN (SELECT unnest(?)) "
                                "GROUP BY shard", [shards]).fetchall())
    columns: dict[str, list] = {name: [] for name in table.column_names}
    assigned = {}
    for row in rows:
        seq = next_seq[row.shard] = (next_seq.get(row.shard) or 0) + 1
        assigned[row.key] = seq
        values = {**row.columns, "id": row.id, "shard": row.shard, "seq": seq, **_stamps(row)}
        for name in table.column_names:
            columns[name].append(values.get(name))
    con.execute(f"DELETE FROM {table.name} WHERE id IN (SELECT unnest(?))", [[row.id for row in rows]]).fetchall()
    con.from_arrow(arrow_rows(table, columns)).insert_into(table.name)
    return assigned


def _update(con: duckdb.DuckDBPyConnection, table: Table, names: tuple[str, ...], rows: list[LiveRow]) -> None:
    """Write the columns `names`, the version and the JSON of stored rows."""
    columns = {name: [row.columns[name] for row in rows] for name in names}
    stamps = [_stamps(row) for row in rows]
    columns.update({"id": [row.id for row in rows], **{name: [s[name] for s in stamps] for name in STAMPS}})
    changes = arrow_rows(table, columns)
    assignments = ", ".join(f'"{name}" = changes."{name}"' for name in (*names, *STAMPS))
    con.register("changes", changes)
    try:
        con.execute(f"UPDATE {table.name} SET {assignments} FROM changes WHERE {table.name}.id = changes.id").fetchall()
    finally:
        con.unregister("changes")


def _stamps(row: LiveRow) -> dict[str, Any]:
    return {"version_id": row.version_id, "last_updated": row.last_updated, "resource": row.resource.decode()}
