"""The sandbox provider's state: its store and live book, the directory, the free-slot index, the booking window and ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import duckdb

from ..scenario import scenario_from_text
from ..store import store_info
from ..store.ids import highest_numbers
from .context import GpcRequest
from .directory import Directory, Practice, load_directory
from .errors import NO_RECORD_FOUND
from .slot_index import SlotIndex, query_free_slots
from .live_book import LiveBook
from .store_access import StoreAccess
from .times import day_end, london_today

DAY = 86_400
NUMBERED = ("Appointment", "Patient")     # the types the interactions create, numbered per practice


@dataclass(frozen=True)
class BookingWindow:
    """The scenario's booking window: how soon (hours from now) and how late (days from today) a slot can be booked."""

    min_hours_ahead: int
    max_days_ahead: int

    def bounds(self, now: float) -> tuple[int, int]:
        """(earliest, latest) slot start, in UNIX seconds, that may be offered and booked at `now`."""
        latest_day = london_today(now) + timedelta(days=self.max_days_ahead)
        return int(now) + self.min_hours_ahead * 3600, day_end(latest_day)


def booking_window(con: duckdb.DuckDBPyConnection) -> BookingWindow:
    """The window in the rules the store was generated from."""
    rules = scenario_from_text(store_info(con).scenario_yaml, "the store's scenario_yaml")
    return BookingWindow(rules.availability.booking_window.min_hours_ahead, rules.availability.booking_window.max_days_ahead)


class Provider:
    """What every interaction handler works with."""

    def __init__(self, store: StoreAccess, book: LiveBook, now: float):
        self.store, self.book = store, book
        self.window = store.read_now(booking_window)
        self.directory = Directory()
        self.slots = SlotIndex()
        self.next_numbers: dict[str, dict[str, int]] = {}
        self.reload(now)

    def reload(self, now: float) -> None:
        """Load the directory and the free-slot index from the store again (after loads and rolls)."""
        self.directory = self.store.read_now(load_directory)
        self.slots = SlotIndex(self.store.read_now(lambda con: query_free_slots(con, now - DAY)))
        self.number_ids()

    def number_ids(self) -> None:
        """Read the highest id numbers of the types the interactions create, to number on from (after loads too)."""
        self.next_numbers = {t: self.store.read_now(partial(highest_numbers, resource_type=t)) for t in NUMBERED}

    def practice(self, request: GpcRequest) -> Practice:
        """The practice whose service root the request is addressed to; 404 when the store has none with that ODS code."""
        practice = self.directory.practices.get(request.practice_ods_code)
        if practice is None:
            served = ", ".join(self.directory.practices) or "none"
            raise NO_RECORD_FOUND(f"No practice with ODS code {request.practice_ods_code} is served here; "
                                  f"practices served: {served}")
        return practice

    def new_id(self, resource_type: str, prefix: str) -> str:
        """The next id `<prefix><n>` of a resource type, numbering on from the highest n stored or given."""
        numbers = self.next_numbers[resource_type]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        return f"{prefix}{numbers[prefix]}"
