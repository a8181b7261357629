"""The store's future appointments and their busy slots, held in memory: what reads, amends and cancels ask for most.

GP Connect reads, retrieves, amends and cancels only appointments that have not started, so the
sandbox reads every stored appointment starting from today on, and every slot from today on that is
not free (free slots are in the free-slot index), once, in the background at start. Until then, and
when a store has more than `MOST_HELD` such rows, lookups go to the store as before.

The held rows are the store's versions: the live book's newer ones stand in front of them, and each
checkpoint puts the versions it folded here. Administration loads and horizon rolls change the store
directly, so they make the rows be read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import duckdb

from ..store.live_rows import LiveRow, rows_where
from .store_access import StoreAccess
from .times import day_start, london_today, seconds

MOST_HELD = 1_000_000      # rows: about 2.5 KB each with their JSON, so at most a few hundred MB
HELD_TYPES = ("Appointment", "Slot")
UPCOMING = {"Appointment": 'start >= to_timestamp(?)', "Slot": "start >= to_timestamp(?) AND status <> 'free'"}


def _upcoming_count(con: duckdb.DuckDBPyConnection, resource_type: str, since: int) -> int:
    return con.execute(f"SELECT count(*) FROM {resource_type.lower()} WHERE {UPCOMING[resource_type]}", [since]).fetchall()[0][0]


class HeldRows:
    def __init__(self, store: StoreAccess):
        self.store = store
        self.rows: dict[tuple[str, str], LiveRow] = {}
        self.by_patient: dict[str, set[str]] = {}     # appointment ids held, by patient id
        self.since: int | None = None                 # every upcoming row starting from then is held; None: not held

    def holds(self, resource_type: str, since: int | None = None) -> bool:
        """Whether every stored row of the type starting from `since` (default: today) is held."""
        return resource_type in HELD_TYPES and self.since is not None and (since is None or since >= self.since)

    def get(self, resource_type: str, row_id: str) -> LiveRow | None:
        return self.rows.get((resource_type, row_id))

    def appointments_of(self, patient_id: str) -> list[LiveRow]:
        return [self.rows[("Appointment", i)] for i in self.by_patient.get(patient_id, ())]

    async def load(self, now: float) -> None:
        """Read the upcoming rows from the store (run it holding `store.lock`, so no checkpoint runs meanwhile)."""
        self.forget()
        since = day_start(london_today(now))
        counts = [await self.store.read(partial(_upcoming_count, resource_type=t, since=since)) for t in HELD_TYPES]
        if sum(counts) > MOST_HELD:
            return
        for resource_type in HELD_TYPES:
            for row in await self.store.read(partial(rows_where, resource_type=resource_type,
                                                     condition=UPCOMING[resource_type], params=[since])):
                self._put(row)
        self.since = since

    def folded(self, rows: Iterable[LiveRow]) -> None:
        """The versions a checkpoint wrote to the store (with their seq)."""
        if self.since is None:
            return
        for row in rows:
            if row.resource_type in HELD_TYPES and seconds(row.columns["start"]) >= self.since:
                self._put(row)

    def forget(self) -> None:
        self.rows.clear()
        self.by_patient.clear()
        self.since = None

    def _put(self, row: LiveRow) -> None:
        self.rows[row.key] = row
        if row.resource_type == "Appointment" and row.columns.get("patient_id"):
            self.by_patient.setdefault(row.columns["patient_id"], set()).add(row.id)
