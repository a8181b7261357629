"""Writing resources by id: create or update many at once, typed columns in step, versions bumped.

Each resource's own columns come from gpsynth.store.columns. The columns it does not state are
filled from the store: a Schedule's or Appointment's practice from its Location, an Appointment's
schedule from its first Slot; a resource naming no practice joins the one it is written for. On update, the
columns no FHIR element carries (a Slot's bookability and restrictions, a Practitioner's staff role)
keep their stored values; new Slots are bookable and unrestricted. A resource identical to the stored
one (apart from meta.versionId and meta.lastUpdated) is left alone: same version, same row.

Every row sits in its practice's shard (the sandbox narrows its lookups by shard): a new row goes in
after the rows already there, and an updated row moves when it now belongs to another practice. A
new Organization opens a shard of its own when it is a practice: it has a main Location, or it is the
practice the resources are written for; any other organisation joins the consumer organisations in
shard 0. Run a call inside `gpsynth.store.transaction(con)` to make it all-or-nothing with other changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import duckdb
import pyarrow as pa

from ..errors import GpsynthError
from .columns import derive_columns
from .resources import resource_table, same_content, stamped
from .schema import ARROW_TYPES, COMMON, SHARD_TABLE, Table

CONSUMER_SHARD = 0
# Columns no FHIR element carries: on update they keep the stored value, on create they take this one.
UNSTATED: dict[str, dict[str, object]] = {
    "Practitioner": {"role_code": None},
    "Schedule": {"slot_type": None},
    "Slot": {"bookable": True, "restrict_org_types": [], "restrict_ods_codes": []},
}


@dataclass(frozen=True)
class Written:
    """One resource as stored: its version, whether it was new or left as it was, and its JSON with meta stamped."""

    resource_type: str
    id: str
    version_id: int
    created: bool
    resource: bytes
    columns: Mapping
    unchanged: bool = False


def _lookup(con: duckdb.DuckDBPyConnection, sql: str, ids: Sequence[str]) -> dict:
    """{id: value} for the rows of a two-column query whose `$ids` parameter lists the ids wanted."""
    if not ids:
        return {}
    return dict(con.execute(sql, {"ids": list(set(ids))}).fetchall())


def practice_organization_id(con: duckdb.DuckDBPyConnection, ods_code: str | None) -> str | None:
    if ods_code is None:
        return None
    found = con.execute("SELECT o.id FROM organization o JOIN shard s ON s.practice_ods = o.ods_code "
                        "WHERE o.ods_code = ? AND s.shard > 0 ORDER BY o.id LIMIT 1", [ods_code]).fetchall()
    return found[0][0] if found else None


class _Placement:
    """Shards for new rows: their practice's shard, found through the organisations, opened when needed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, practice_ods: str | None):
        self.con, self.practice_ods = con, practice_ods
        self.next_seq: dict[int, int] = {}

    @cached_property
    def org_shards(self) -> dict[str, int]:
        return dict(self.con.execute("SELECT id, shard FROM organization").fetchall())

    @cached_property
    def practice_shards(self) -> dict[str, int]:
        return dict(self.con.execute("SELECT practice_ods, shard FROM shard WHERE shard > 0").fetchall())

    @cached_property
    def practice_organization_id(self) -> str | None:
        return practice_organization_id(self.con, self.practice_ods)

    def practice_shard(self) -> int:
        if self.practice_ods is None:
            return CONSUMER_SHARD
        return self.practice_shards.get(self.practice_ods, CONSUMER_SHARD)

    def for_organization(self, columns: Mapping) -> int:
        ods = columns.get("ods_code")
        if ods in self.practice_shards:
            return self.practice_shards[ods]
        if ods and (ods == self.practice_ods or columns.get("main_location_id")):
            shard = max([CONSUMER_SHARD, *self.practice_shards.values()]) + 1
            self.con.from_arrow(pa.table({"shard": [shard], "practice_ods": [ods]},
                                         schema=SHARD_TABLE.arrow_schema)).insert_into(SHARD_TABLE.name)
            self.practice_shards[ods] = shard
            return shard
        return CONSUMER_SHARD

    def home(self, organization_id: str | None) -> int | None:
        """The shard of the practice (or consumer shard) an organization id belongs to; None when unknown."""
        return None if organization_id is None else self.org_shards.get(organization_id)

    def seq(self, table: str, shard: int) -> int:
        if shard not in self.next_seq:
            found = self.con.execute(f"SELECT coalesce(max(seq), 0) FROM {table} WHERE shard = ?", [shard]).fetchall()
            self.next_seq[shard] = found[0][0]
        self.next_seq[shard] += 1
        return self.next_seq[shard]


def _linked_columns(con: duckdb.DuckDBPyConnection, resource_type: str, rows: list[dict]) -> None:
    """Fill the columns a resource takes from the rows it references, in place."""
    if resource_type in ("Schedule", "Appointment"):
        orgs = _lookup(con, "SELECT id, organization_id FROM location WHERE id IN (SELECT unnest($ids))",
                       [r["location_id"] for r in rows if r.get("location_id")])
        for row in rows:
            row["organization_id"] = orgs.get(row.get("location_id"))
    if resource_type == "Appointment":
        schedules = _lookup(con, "SELECT id, schedule_id FROM slot WHERE id IN (SELECT unnest($ids))",
                            [r["slot_ids"][0] for r in rows if r.get("slot_ids")])
        for row in rows:
            row["schedule_id"] = schedules.get(row["slot_ids"][0]) if row.get("slot_ids") else None


def upsert_resources(con: duckdb.DuckDBPyConnection, resource_type: str, resources: Sequence[Mapping],
                     last_updated: str, practice_ods: str | None = None,
                     derived: Sequence[Mapping] | None = None) -> list[Written]:
    """Create or replace each resource by its id (ids must be distinct); return them as stored, in order.

    `practice_ods` is the practice the resources are written for: new rows that name no practice of
    their own join it. `derived` are the resources' columns when the caller has derived them already.
    GpsynthError names the first resource whose elements cannot fill the columns.
    """
    table = resource_table(resource_type)
    ids = [r["id"] for r in resources]
    if len(set(ids)) != len(ids):
        raise GpsynthError(f"{resource_type}: the same id is written twice in one call")
    if derived is None:
        derived = [derive_columns(resource_type, r) for r in resources]
    rows = [{"id": r["id"], **columns} for r, columns in zip(resources, derived, strict=True)]
    typed = table.column_names[1:-len(COMMON)]
    unstated = UNSTATED.get(resource_type, {})
    kept = [name for name in typed if name in unstated or name == "organization_id"]
    select = ", ".join(["id", "shard", "seq", "version_id", "resource", *(f'"{name}"' for name in kept)])
    existing = {row[0]: dict(zip(("id", "shard", "seq", "version_id", "resource", *kept), row, strict=True)) for row in con.execute(
        f"SELECT {select} FROM {table.name} WHERE id IN (SELECT unnest($ids))", {"ids": ids}).fetchall()}

    placement = _Placement(con, practice_ods)
    _linked_columns(con, resource_type, rows)
    if resource_type == "Slot":
        orgs = _lookup(con, "SELECT id, organization_id FROM schedule WHERE id IN (SELECT unnest($ids))",
                       [r["schedule_id"] for r in rows if r.get("schedule_id")])
    written: list[Written] = []
    columns: dict[str, list[object]] = {name: [] for name in table.column_names}
    replaced: list[str] = []
    for resource, row in zip(resources, rows, strict=True):
        before = existing.get(row["id"])
        if before and same_content(before["resource"], resource):
            # Rewriting an identical resource would only bump its version: leave it as it is.
            written.append(Written(resource_type, row["id"], before["version_id"], False, before["resource"].encode(),
                                   {name: row.get(name) for name in typed}, unchanged=True))
            continue
        if before:
            replaced.append(row["id"])
        for name in kept:
            if row.get(name) is None:
                row[name] = before[name] if before else unstated.get(name, placement.practice_organization_id)
        if resource_type == "Organization":
            home = before["shard"] if before else placement.for_organization(row)
        else:
            home = placement.home(orgs.get(row.get("schedule_id")) if resource_type == "Slot" else row.get("organization_id"))
        if before and home in (None, before["shard"]):
            shard, seq = before["shard"], before["seq"]
        else:
            shard = placement.practice_shard() if home is None else home
            seq = placement.seq(table.name, shard)
        version_id = before["version_id"] + 1 if before else 1
        text = stamped(dict(resource), version_id, last_updated)
        values = {**row, "shard": shard, "seq": seq, "version_id": version_id, "last_updated": last_updated,
                  "resource": text.decode()}
        for name in table.column_names:
            columns[name].append(values.get(name))
        written.append(Written(resource_type, row["id"], version_id, before is None, text,
                               {name: row.get(name) for name in typed}))

    if replaced:
        con.execute(f"DELETE FROM {table.name} WHERE id IN (SELECT unnest($ids))", {"ids": replaced}).fetchall()
    if columns["id"]:
        con.from_arrow(arrow_rows(table, columns)).insert_into(table.name)
    return written


def arrow_rows(table: Table, columns: Mapping[str, list]) -> pa.Table:
    """Rows of `table` as Arrow, from a list per column (every column, or some), in the table's column order;
    instants and dates may be ISO 8601 text."""
    fields, arrays = [], []
    for name, sql in table.columns:
        if name not in columns:
            continue
        kind = ARROW_TYPES[sql]
        parsed = sql in ("TIMESTAMPTZ", "DATE")
        arrays.append(pa.array(columns[name], pa.string()).cast(kind) if parsed else pa.array(columns[name], kind))
        fields.append(pa.field(name, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
