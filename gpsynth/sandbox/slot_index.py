"""The free-slot index: every free, GP Connect bookable slot per practice, in start order, held in memory.

Slot search is the interaction consumers call most, so it never touches the store: the index holds
each free slot's times, schedule, restrictions, place in the store and JSON. A booking takes its slots
out of the index in the same step of the event loop that records it in the live book
(gpsynth.sandbox.live_book), so a slot in the index is free; a cancellation puts its slots back.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

import duckdb

from ..store.live_rows import LiveRow, fetch_in_batches
from .times import london_instant, seconds

_START = attrgetter("start")
_ORDER = attrgetter("start", "id")


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A free, bookable slot: instants as UNIX seconds, restriction lists, its place in the store and its JSON."""

    start: int
    end: int
    id: str
    schedule_id: str
    organization_id: str
    restrict_org_types: tuple[str, ...]
    restrict_ods_codes: tuple[str, ...]
    resource: bytes
    shard: int
    seq: int | None
    version_id: int
    delivery_channel: str | None

    def visible_to(self, org_types: frozenset[str], ods_codes: frozenset[str]) -> bool:
        """The 1.2.7 searchFilter rule: each restriction is absent, or matches a filter the consumer sent."""
        return ((not self.restrict_org_types or not org_types.isdisjoint(self.restrict_org_types))
                and (not self.restrict_ods_codes or not ods_codes.isdisjoint(self.restrict_ods_codes)))

    def row(self, last_updated: str) -> LiveRow:
        """The slot's store row as it stands (its last_updated aside, which a change replaces)."""
        columns = {"schedule_id": self.schedule_id, "start": london_instant(self.start), "end": london_instant(self.end),
                   "status": "free", "delivery_channel": self.delivery_channel, "bookable": True,
                   "restrict_org_types": list(self.restrict_org_types), "restrict_ods_codes": list(self.restrict_ods_codes)}
        return LiveRow("Slot", self.id, self.shard, self.seq, self.version_id, last_updated, self.resource, columns)


def free_slot_of(row: LiveRow, organization_id: str) -> FreeSlot:
    """The index entry of a slot row that is free and bookable again."""
    columns = row.columns
    return FreeSlot(seconds(columns["start"]), seconds(columns["end"]), row.id, columns["schedule_id"], organization_id,
                    tuple(columns.get("restrict_org_types") or ()), tuple(columns.get("restrict_ods_codes") or ()),
                    row.resource, row.shard, row.seq, row.version_id, columns.get("delivery_channel"))


FREE_SLOTS_SQL = """
    SELECT s.id, s.schedule_id, sc.organization_id, epoch(s.start)::BIGINT, epoch(s."end")::BIGINT,
           s.restrict_org_types, s.restrict_ods_codes, encode(s.resource), s.shard, s.seq, s.version_id, s.delivery_channel
    FROM slot s JOIN schedule sc ON sc.id = s.schedule_id
    WHERE s.status = 'free' AND s.bookable AND s."end" > to_timestamp(?) {extra}
"""


def free_slot(row: tuple) -> FreeSlot:
    slot_id, schedule_id, organization_id, start, end, org_types, ods_codes, resource, shard, seq, version_id, channel = row
    return FreeSlot(start, end, slot_id, schedule_id, organization_id, tuple(org_types or ()), tuple(ods_codes or ()),
                    resource, shard, seq, version_id, channel)


def query_free_slots(con: duckdb.DuckDBPyConnection, since: float, slot_ids: Iterable[str] | None = None) -> list[FreeSlot]:
    """The free, bookable slots ending after `since` (UNIX seconds); only those of `slot_ids` when given."""
    if slot_ids is None:
        result = con.execute(FREE_SLOTS_SQL.format(extra=""), [since])
    else:
        result = con.execute(FREE_SLOTS_SQL.format(extra="AND s.id IN (SELECT unnest(?))"), [since, list(slot_ids)])
    return [free_slot(row) for row in fetch_in_batches(result)]


class SlotIndex:
    """Free slots by practice (organization id), sorted by start then id."""

    def __init__(self, slots: Iterable[FreeSlot] = ()):
        self.by_practice: dict[str, list[FreeSlot]] = {}
        self.by_id: dict[str, FreeSlot] = {}
        for slot in sorted(slots, key=_ORDER):
            self.by_practice.setdefault(slot.organization_id, []).append(slot)
            self.by_id[slot.id] = slot

    def __len__(self) -> int:
        return len(self.by_id)

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
        for slot_id in slot_ids:
            slot = self.by_id.pop(slot_id, None)
            if slot is not None:
                slots = self.by_practice[slot.organization_id]
                del slots[bisect_left(slots, (slot.start, slot.id), key=_ORDER)]

    def add(self, slots: Iterable[FreeSlot]) -> None:
        slots = list(slots)
        self.remove(slot.id for slot in slots)
        for slot in slots:
            insort(self.by_practice.setdefault(slot.organization_id, []), slot, key=_ORDER)
            self.by_id[slot.id] = slot
