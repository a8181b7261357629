"""The free-slot index: every free, GP Connect bookable slot per practice, in start order, held in memory.

Slot search is the interaction consumers call most, so it never touches the store: the index holds
each free slot's times, schedule, restrictions and stored JSON. The store stays the truth; the one
writer (see gpsynth.sandbox.store_access) changes the store first and the index after the commit, so
the index can only lag a booking by the time it takes to apply it, and a booking always checks the
store.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

import duckdb

_START = attrgetter("start")
_ORDER = attrgetter("start", "id")


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A free, bookable slot: instants as UNIX seconds, restriction lists, and the Slot JSON as stored."""

    start: int
    end: int
    id: str
    schedule_id: str
    organization_id: str
    restrict_org_types: tuple[str, ...]
    restrict_ods_codes: tuple[str, ...]
    resource: bytes

    def visible_to(self, org_types: frozenset[str], ods_codes: frozenset[str]) -> bool:
        """The 1.2.7 searchFilter rule: each restriction is absent, or matches a filter the consumer sent."""
        return ((not self.restrict_org_types or not org_types.isdisjoint(self.restrict_org_types))
                and (not self.restrict_ods_codes or not ods_codes.isdisjoint(self.restrict_ods_codes)))


FREE_SLOTS_SQL = """
    SELECT s.id, s.schedule_id, sc.organization_id, epoch(s.start)::BIGINT, epoch(s."end")::BIGINT,
           s.restrict_org_types, s.restrict_ods_codes, s.resource
    FROM slot s JOIN schedule sc ON sc.id = s.schedule_id
    WHERE s.status = 'free' AND s.bookable AND s."end" > to_timestamp(?) {extra}
"""


def free_slot(row: tuple) -> FreeSlot:
    slot_id, schedule_id, organization_id, start, end, org_types, ods_codes, resource = row
    return FreeSlot(start, end, slot_id, schedule_id, organization_id, tuple(org_types or ()), tuple(ods_codes or ()),
                    resource.encode())


def query_free_slots(con: duckdb.DuckDBPyConnection, since: float, slot_ids: Iterable[str] | None = None) -> list[FreeSlot]:
    """The free, bookable slots ending after `since` (UNIX seconds); only those of `slot_ids` when given."""
    if slot_ids is None:
        rows = con.execute(FREE_SLOTS_SQL.format(extra=""), [since]).fetchall()
    else:
        rows = con.execute(FREE_SLOTS_SQL.format(extra="AND s.id IN (SELECT unnest(?))"), [since, list(slot_ids)]).fetchall()
    return [free_slot(row) for row in rows]


class SlotIndex:
    """Free slots by practice (organization id), sorted by start then id."""

    def __init__(self, slots: Iterable[FreeSlot] = ()):
        self.by_practice: dict[str, list[FreeSlot]] = {}
        self.where: dict[str, str] = {}
        for slot in sorted(slots, key=_ORDER):
            self.by_practice.setdefault(slot.organization_id, []).append(slot)
            self.where[slot.id] = slot.organization_id

    def __len__(self) -> int:
        return len(self.where)

    def between(self, organization_id: str, start: int, end: int) -> Iterator[FreeSlot]:
        """The practice's free slots lying wholly inside [start, end], in start order."""
        slots = self.by_practice.get(organization_id, [])
        for i in range(bisect_left(slots, start, key=_START), len(slots)):
            slot = slots[i]
            if slot.start > end:
                return
            if slot.end <= end:
                yield slot

    def remove(self, slot_ids: Iterable[str]) -> None:
        gone: dict[str, set[str]] = {}
        for slot_id in slot_ids:
            organization_id = self.where.pop(slot_id, None)
            if organization_id is not None:
                gone.setdefault(organization_id, set()).add(slot_id)
        for organization_id, ids in gone.items():
            slots = self.by_practice[organization_id]
            slots[:] = [s for s in slots if s.id not in ids]

    def add(self, slots: Iterable[FreeSlot]) -> None:
        slots = list(slots)
        self.remove(slot.id for slot in slots)
        for slot in slots:
            insort(self.by_practice.setdefault(slot.organization_id, []), slot, key=_ORDER)
            self.where[slot.id] = slot.organization_id
