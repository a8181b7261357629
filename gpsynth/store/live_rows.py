"""Rows a running sandbox changes: read from the store, carried in the journal, folded back into the store.

A `LiveRow` is one version of one store row, every column with it, instants and dates as ISO 8601
text, so it can be journalled as JSON and folded back as it was. Folding replaces each row by id (so
folding the same rows twice changes nothing) and gives rows new to the store the next `seq` of their
shard, in the order they were made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import duckdb
import orjson

from .resources import resource_table, stamped
from .schema import COMMON
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


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def stored_row(con: duckdb.DuckDBPyConnection, resource_type: str, row_id: str) -> LiveRow | None:
    """The store's row with this id, or None."""
    found = stored_rows(con, resource_type, "id", row_id)
    return found[0] if found else None


def stored_rows(con: duckdb.DuckDBPyConnection, resource_type: str, column: str, value: str) -> list[LiveRow]:
    """The store's rows whose `column` equals `value`, in output order (a lookup the served store's indexes answer)."""
    table = resource_table(resource_type)
    names = table.column_names
    select = ", ".join(f'"{name}"' for name in names)
    rows = con.execute(f'SELECT {select} FROM {table.name} WHERE "{column}" = ? ORDER BY shard, seq', [value]).fetchall()
    found = []
    for row in rows:
        values = dict(zip(names, row))
        typed = {name: _plain(values[name]) for name in names[1:-len(COMMON)]}
        found.append(LiveRow(resource_type, values["id"], values["shard"], values["seq"], values["version_id"],
                             _plain(values["last_updated"]), values["resource"].encode(), typed))
    return found


def fold_rows(con: duckdb.DuckDBPyConnection, rows: Iterable[LiveRow]) -> dict[tuple[str, str], int]:
    """Write the newest of `rows` per id into the store, replacing the stored rows; the seq given to each new row.

    Run it inside `gpsynth.store.transaction(con)`.
    """
    latest: dict[str, dict[str, LiveRow]] = {}
    for row in rows:
        latest.setdefault(row.resource_type, {})[row.id] = row
    assigned = {}
    for resource_type, by_id in latest.items():
        table = resource_table(resource_type)
        shards = sorted({row.shard for row in by_id.values() if row.seq is None})
        next_seq = dict(con.execute(f"SELECT shard, max(seq) FROM {table.name} WHERE shard IN (SELECT unnest(?)) "
                                    "GROUP BY shard", [shards]).fetchall()) if shards else {}
        columns: dict[str, list] = {name: [] for name in table.column_names}
        for row in by_id.values():
            seq = row.seq
            if seq is None:
                seq = next_seq[row.shard] = (next_seq.get(row.shard) or 0) + 1
                assigned[row.key] = seq
            values = {**row.columns, "id": row.id, "shard": row.shard, "seq": seq, "version_id": row.version_id,
                      "last_updated": row.last_updated, "resource": row.resource.decode()}
            for name in table.column_names:
                columns[name].append(values.get(name))
        con.execute(f"DELETE FROM {table.name} WHERE id IN (SELECT unnest(?))", [list(by_id)]).fetchall()
        con.from_arrow(arrow_rows(table, columns)).insert_into(table.name)
    return assigned
