"""Store rows held in memory: what reads, amends, cancels and registrations ask for most.

GP Connect reads, retrieves, amends and cancels only appointments that have not started, so the
sandbox holds every stored appointment starting from today on, and every slot from today on that is
not free (free slots are in the free-slot index). It holds every patient too: patient reads and finds,
and registrations (is the NHS number known?), then never wait for the store. They are read once, in
the background at start, and held packed (gpsynth.sandbox.packed_rows: about 200 bytes a patient).
Until then, and when a store has more than `MOST_UPCOMING` upcoming rows or `MOST_PATIENTS` patients,
lookups of that kind go to the store.

The held rows are the store's versions: the live book's newer ones stand in front of them, and each
checkpoint appends the versions it folded here. Administration loads and horizon rolls change the store
directly, so they make the rows be read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

import duckdb

from ..store.live_rows import LiveRow, packed_rows_where
from .packed_rows import PackedRows
from .store_access import StoreAccess
from .times import day_start, london_today, seconds

MOST_UPCOMING = 1_000_000      # upcoming appointments and busy slots
MOST_PATIENTS = 5_000_000      # about 200 bytes each packed, with their indexes: 1 GB at most
UPCOMING = {"Appointment": 'start >= to_timestamp(?)', "Slot": "start >= to_timestamp(?) AND status <> 'free'"}
INDEXED = {"Appointment": ("patient_id",), "Slot": (), "Patient": ("nhs_number",)}     # looked up besides the id


def _count(con: duckdb.DuckDBPyConnection, resource_type: str, condition: str, params: list[Any]) -> int:
    return con.execute(f"SELECT count(*) FROM {resource_type.lower()} WHERE {condition}", params).fetchall()[0][0]


def _packed(con: duckdb.DuckDBPyConnection, resource_type: str, condition: str, params: list[Any]) -> PackedRows:
    keys = INDEXED[resource_type]
    return PackedRows.of(resource_type, keys, packed_rows_where(con, resource_type, condition, params, keys))


class HeldRows:
    def __init__(self, store: StoreAccess):
        self.store = store
        self.tables: dict[str, PackedRows] = {}
        self.since: int | None = None         # the upcoming rows held start from then

    def holds(self, resource_type: str, since: int | None = None) -> bool:
        """Whether every stored row of the type is held: of appointments and slots, every one starting from `since`
        (default: today)."""
        if resource_type not in self.tables:
            return False
        return resource_type not in UPCOMING or since is None or self.since is not None and since >= self.since

    def answers(self, resource_type: str, column: str) -> bool:
        """Whether the held rows answer a lookup of every stored row of the type by `column`."""
        return resource_type in self.tables and resource_type not in UPCOMING and (column == "id"
                                                                                 or column in INDEXED[resource_type])

    def summary(self) -> str:
        """What is held, e.g. `626,640 patients, 36,175 upcoming appointments, 37,087 busy slots`."""
        names = {"Patient": "patients", "Appointment": "upcoming appointments", "Slot": "busy slots"}
        held = [f"{len(self.tables[t]):,} {name}" for t, name in names.items() if t in self.tables]
        return ", ".join(held) or "nothing (the store is too big: lookups go to the store)"

    def get(self, resource_type: str, row_id: str) -> LiveRow | None:
        table = self.tables.get(resource_type)
        return table.get(row_id) if table is not None else None

    def where(self, resource_type: str, column: str, value: str) -> list[LiveRow]:
        return self.tables[resource_type].where(column, value)

    def appointments_of(self, patient_id: str) -> list[LiveRow]:
        return self.where("Appointment", "patient_id", patient_id)

    async def load(self, now: float) -> None:
        """Read the rows from the store (run it holding `store.lock`, so no checkpoint runs meanwhile)."""
        self.forget()
        since = day_start(london_today(now))
        counts = [await self.store.read(partial(_count, resource_type=t, condition=UPCOMING[t], params=[since]))
                  for t in UPCOMING]
        if sum(counts) <= MOST_UPCOMING:
            for resource_type, condition in UPCOMING.items():
                self.tables[resource_type] = await self.store.read(
                    partial(_packed, resource_type=resource_type, condition=condition, params=[since]))
            self.since = since
        if await self.store.read(partial(_count, resource_type="Patient", condition="true", params=[])) <= MOST_PATIENTS:
            self.tables["Patient"] = await self.store.read(
                partial(_packed, resource_type="Patient", condition="true", params=[]))

    def folded(self, rows: Iterable[LiveRow]) -> None:
        """The versions a checkpoint wrote to the store (with their seq)."""
        for row in rows:
            table = self.tables.get(row.resource_type)
            if table is not None and (row.resource_type not in UPCOMING
                                      or self.since is not None and seconds(row.columns["start"]) >= self.since):
                table.put(row)

    def forget(self) -> None:
        self.tables = {}
        self.since = None
