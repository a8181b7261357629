"""The store's future appointments and their busy slots, held in memory: what reads, amends and cancels ask for most.

GP Connect reads, retrieves, amends and cancels only appointments that have not started, so the
sandbox reads every stored appointment starting from today on, and every slot from today on that is
not free (free slots are in the free-slot index), once, in the background at start. Until then, and
when a store has more than `MOST_HELD` such rows, lookups go to the store as before.

It holds the store's NHS numbers too, as a sorted array (8 bytes a patient): most registrations are of
numbers the store does not hold, and need not ask it.

The held rows are the store's versions: the live book's newer ones stand in front of them, and each
checkpoint puts the versions it folded here. Administration loads and horizon rolls change the store
directly, so they make the rows be read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import duckdb
import numpy as np

from ..store.live_rows import LiveRow, rows_where
from .store_access import StoreAccess
from .times import day_start, london_today, seconds

MOST_HELD = 1_000_000      # rows: about 2.5 KB each with their JSON, so at most a few hundred MB
MOST_NHS_NUMBERS = 10_000_000
HELD_TYPES = ("Appointment", "Slot")
UPCOMING = {"Appointment": 'start >= to_timestamp(?)', "Slot": "start >= to_timestamp(?) AND status <> 'free'"}


def _patient_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM patient").fetchall()[0][0]


def _stored_nhs_numbers(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Every NHS number of the store's patients (ten digits each), sorted."""
    found = con.execute("SELECT DISTINCT CAST(nhs_number AS BIGINT) AS n FROM patient "
                        "WHERE regexp_full_match(nhs_number, '[0-9]{10}') ORDER BY n").fetchnumpy()["n"]
    return np.asarray(found, dtype=np.int64)


def _upcoming_count(con: duckdb.DuckDBPyConnection, resource_type: str, since: int) -> int:
    return con.execute(f"SELECT count(*) FROM {resource_type.lower()} WHERE {UPCOMING[resource_type]}", [since]).fetchall()[0][0]


class HeldRows:
    def __init__(self, store: StoreAccess):
        self.store = store
        self.rows: dict[tuple[str, str], LiveRow] = {}
        self.by_patient: dict[str, set[str]] = {}     # appointment ids held, by patient id
        self.since: int | None = None                 # every upcoming row starting from then is held; None: not held
        self.nhs_numbers: np.ndarray | None = None     # the store's, sorted; None: not held
        self.nhs_numbers_folded: set[str] = set()      # of patients folded into the store since

    def holds(self, resource_type: str, since: int | None = None) -> bool:
        """Whether every stored row of the type starting from `since` (default: today) is held."""
        return resource_type in HELD_TYPES and self.since is not None and (since is None or since >= self.since)

    def get(self, resource_type: str, row_id: str) -> LiveRow | None:
        return self.rows.get((resource_type, row_id))

    def lacks_nhs_number(self, nhs_number: str) -> bool:
        """True when the store surely holds no patient with this NHS number; False when it may."""
        if self.nhs_numbers is None or nhs_number in self.nhs_numbers_folded:
            return False
        if len(nhs_number) != 10 or not nhs_number.isdigit():
            return False     # numbers not of ten digits are not held: ask the store
        n = int(nhs_number)
        at = int(np.searchsorted(self.nhs_numbers, n))
        return at == len(self.nhs_numbers) or int(self.nhs_numbers[at]) != n

    def appointments_of(self, patient_id: str) -> list[LiveRow]:
        return [self.rows[("Appointment", i)] for i in self.by_patient.get(patient_id, ())]

    async def load(self, now: float) -> None:
        """Read the upcoming rows from the store (run it holding `store.lock`, so no checkpoint runs meanwhile)."""
        self.forget()
        since = day_start(london_today(now))
        if await self.store.read(_patient_count) <= MOST_NHS_NUMBERS:
            self.nhs_numbers = await self.store.read(_stored_nhs_numbers)
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
        for row in rows:
            if row.resource_type == "Patient" and row.columns.get("nhs_number"):
                self.nhs_numbers_folded.add(row.columns["nhs_number"])
            elif self.since is not None and row.resource_type in HELD_TYPES and seconds(row.columns["start"]) >= self.since:
                self._put(row)

    def forget(self) -> None:
        self.rows.clear()
        self.by_patient.clear()
        self.since = None
        self.nhs_numbers = None
        self.nhs_numbers_folded.clear()

    def _put(self, row: LiveRow) -> None:
        self.rows[row.key] = row
        if row.resource_type == "Appointment" and row.columns.get("patient_id"):
            self.by_patient.setdefault(row.columns["patient_id"], set()).add(row.id)
