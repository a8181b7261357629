"""The live book: what the interactions changed since the last checkpoint, held in memory and in the journal.

Interactions read through it (a row it holds is newer than the store's; others come from the upcoming
rows held in memory, gpsynth.sandbox.held_rows, or from the store) and change through it. A
change reads what it needs, then is checked against the book as it is at that moment and applied in
memory in one step of the event loop (`change`), so two bookings can never both find a slot free.
It is appended to the journal and answered only once its batch of the journal is on disk: one
fdatasync for every change that arrived while the previous batch was being written. A read of a
row whose change is not on disk yet waits for it, so nothing is seen that a crash could take back.

A checkpoint folds the book into the store in one DuckDB transaction, beside the reads, and deletes
the journal segments it folded: when the sandbox has been idle a moment, when the book passes a
size, at shutdown, and when another gpsynth command asks to read the store (a lease: the store is
then read-only until the command is done, and changes stay in the book and the journal meanwhile).
Administration loads and horizon rolls write the store directly: `exclusive` folds the book first
and holds the interactions' changes until they are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from ..store.journal import JournalWriter
from ..store.live_rows import LIVE_COLUMNS, READ_COLUMNS, LiveRow, encode_rows, fold_rows
from .errors import INTERNAL_SERVER_ERROR
from .held_rows import HeldRows
from .lookups import Lookups
from .store_access import StoreAccess

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")
MAX_ROWS = 2_000           # rows in the book that start a checkpoint: each fold holds the requests up a little, not much
IDLE_SECONDS = 1.0         # a checkpoint runs after this long without changes
SETTLE_ROWS = 100          # folded rows packed into the held rows between two turns of the event loop
REGAIN_SECONDS = 0.2       # how often to try writing the store again after a lease, while a reader still has it open


@dataclass(frozen=True, slots=True)
class Entry:
    row: LiveRow
    lsn: int                       # the change's place in the journal
    on_disk: asyncio.Future        # done when the change's journal batch is on disk


class Rows:
    """Rows of one resource type as they are at the moment of asking: the book's where it has them, else as read."""

    def __init__(self, book: LiveBook, resource_type: str, stored: Mapping[str, LiveRow | None]):
        self.book, self.resource_type, self.stored = book, resource_type, stored

    def get(self, row_id: str) -> LiveRow | None:
        entry = self.book.entries.get((self.resource_type, row_id))
        return entry.row if entry is not None else self.stored.get(row_id)


class LiveBook:
    def __init__(self, store: StoreAccess, journal: Path, clock: Callable[[], float] = time.time,
                 max_rows: int = MAX_ROWS, idle_seconds: float = IDLE_SECONDS):
        self.store, self.clock, self.max_rows, self.idle_seconds = store, clock, max_rows, idle_seconds
        self.lookups = Lookups(store)
        self.held = HeldRows(store)
        self.entries: dict[tuple[str, str], Entry] = {}
        self.by_patient: dict[str, set[str]] = {}      # appointment ids in the book, by patient id
        self.by_nhs_number: dict[str, set[str]] = {}   # patient ids in the book, by NHS number
        self.lsn = 0
        self.generation = 0            # goes up whenever rows leave the book: rows read before may be stale
        self.journal = JournalWriter(journal)
        self.io = ThreadPoolExecutor(1, thread_name_prefix="gpsynth-journal")
        self.pending: list[tuple[bytes, asyncio.Future]] = []
        self.flushing = False
        self.failure: str | None = None
        self.writes_open = asyncio.Event()
        self.writes_open.set()
        self.leases = 0
        self.last_change = time.monotonic()
        self.checkpoint_due = False       # a checkpoint the book's size asked for has not finished yet
        self.tasks: set[asyncio.Task] = set()

    # -- reading -------------------------------------------------------------------------------------

    async def row(self, resource_type: str, row_id: str) -> LiveRow | None:
        """The row as it is now, for reading (with the `READ_COLUMNS` of its type at least), once its change is on
        disk; None when there is no such row."""
        entry = self.entries.get((resource_type, row_id))
        if entry is None:
            held = self.held.get(resource_type, row_id)
            if held is not None or self.held.answers(resource_type, "id"):
                return held
            columns = READ_COLUMNS.get(resource_type, LIVE_COLUMNS.get(resource_type, ()))
            found = await self.lookups.rows(resource_type, "id", row_id, columns)
            return found[0] if found else None
        await entry.on_disk
        return entry.row

    async def rows(self, resource_type: str, ids: Iterable[str], columns: tuple[str, ...] | None = None) -> Rows:
        """The rows a change starts from (see `change`), with the typed `columns` (default: `LIVE_COLUMNS`)."""
        missing = [i for i in dict.fromkeys(ids) if (resource_type, i) not in self.entries]
        # Held rows carry every column of `LIVE_COLUMNS`: all that any change or read asks for.
        held_all = self.held.answers(resource_type, "id")
        stored: dict[str, LiveRow | None] = {
            i: row for i in missing if (row := self.held.get(resource_type, i)) is not None or held_all}
        missing = [i for i in missing if i not in stored]
        found = await asyncio.gather(*(self.lookups.rows(resource_type, "id", i, columns) for i in missing))
        stored.update((i, rows[0] if rows else None) for i, rows in zip(missing, found, strict=True))
        return Rows(self, resource_type, stored)

    async def appointments_of(self, patient_id: str, since: int) -> list[LiveRow]:
        """The patient's appointments as they are now (cancelled ones too), every one starting from `since` (UNIX
        seconds) among them, once their changes are on disk."""
        if self.held.holds("Appointment", since):
            stored = self.held.appointments_of(patient_id)
        else:
            stored = await self.stored("Appointment", "patient_id", patient_id, READ_COLUMNS["Appointment"])
        return await self.merged("Appointment", stored, self.by_patient.get(patient_id, ()))

    async def stored(self, resource_type: str, column: str, value: str,
                     columns: tuple[str, ...] | None = None) -> list[LiveRow]:
        """The store's rows (not the book's) whose `column` equals `value`, with the typed `columns` at least (default:
        `LIVE_COLUMNS`); see `current` and `merged`."""
        if self.held.answers(resource_type, column):
            return self.held.where(resource_type, column, value)
        return await self.lookups.rows(resource_type, column, value, columns)

    async def merged(self, resource_type: str, stored: Iterable[LiveRow], ids: Iterable[str]) -> list[LiveRow]:
        """`current`, once the changes of the book's rows in it are on disk."""
        rows = self.current(resource_type, stored, ids)
        for row in rows:
            entry = self.entries.get(row.key)
            if entry is not None and entry.row is row:
                await entry.on_disk
        return rows

    def current(self, resource_type: str, stored: Iterable[LiveRow], ids: Iterable[str]) -> list[LiveRow]:
        """Rows read from the store with the book's versions in their place, and the book's rows of `ids` added,
        in output order (rows new to the store last)."""
        found: dict[str, LiveRow | None] = {row.id: row for row in stored}
        for row_id in ids:
            found.setdefault(row_id, None)
        rows = []
        for row_id, row in found.items():
            entry = self.entries.get((resource_type, row_id))
            if entry is not None:
                row = entry.row
            if row is not None:
                rows.append(row)
        return sorted(rows, key=lambda row: (row.shard, row.seq is None, row.seq or 0))

    # -- changing ------------------------------------------------------------------------------------

    async def change(self, prepare: Callable[[], Awaitable[P]],
                     decide: Callable[[P], tuple[list[LiveRow], R]]) -> R:
        """Make one change: `prepare()` reads what it needs; `decide(prepared)` checks it against the book as it is
        now and gives the rows to write and the result, or raises. Answers once the change is on disk."""
        while True:
            while not self.writes_open.is_set():
                await self.writes_open.wait()
            generation = self.generation
            prepared = await prepare()
            if generation == self.generation and self.writes_open.is_set():
                break       # nothing read has left the book meanwhile: decide on it now, without awaiting
        rows, result = decide(prepared)
        if rows:
            await self.commit(rows)
        return result

    def commit(self, rows: list[LiveRow]) -> asyncio.Future:
        """Put the rows in the book and in the journal's next batch; the future is done when they are on disk."""
        if self.failure is not None:
            raise INTERNAL_SERVER_ERROR(f"The sandbox cannot record changes: {self.failure}")
        self.lsn += 1
        on_disk = asyncio.get_running_loop().create_future()
        for row in rows:
            self._index(Entry(row, self.lsn, on_disk))
        self.pending.append((encode_rows(rows), on_disk))
        if not self.flushing:
            self.flushing = True
            self._spawn(self._flush())
        self.last_change = time.monotonic()
        if len(self.entries) >= self.max_rows and not self.checkpoint_due:
            self.checkpoint_due = True      # one at a time: the changes arriving meanwhile wait for the next
            self._spawn(self._due_checkpoint())
        return on_disk

    async def _due_checkpoint(self) -> None:
        try:
            await self.checkpoint()
        finally:
            self.checkpoint_due = False

    def _index(self, entry: Entry) -> None:
        row = entry.row
        self.entries[row.key] = entry
        if row.resource_type == "Appointment" and row.columns.get("patient_id"):
            self.by_patient.setdefault(row.columns["patient_id"], set()).add(row.id)
        elif row.resource_type == "Patient" and row.columns.get("nhs_number"):
            self.by_nhs_number.setdefault(row.columns["nhs_number"], set()).add(row.id)

    def _forget(self, entry: Entry) -> None:
        row = entry.row
        del self.entries[row.key]
        index, key = ((self.by_patient, row.columns.get("patient_id")) if row.resource_type == "Appointment"
                      else (self.by_nhs_number, row.columns.get("nhs_number")))
        if key is None:
            return
        ids = index.get(key)
        if ids is not None:
            ids.discard(row.id)
            if not ids:
                del index[key]

    async def _flush(self) -> None:
        """Write the journal in batches until no change waits; answer each batch's changes when it is on disk."""
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await loop.run_in_executor(self.io, self.journal.append, [record for record, _ in batch])
                except OSError as exc:
                    self.failure = f"the journal cannot be written ({exc.strerror or exc})"
                    log.error("%s; changes are refused from now on", self.failure)
                    for _, on_disk in batch:
                        on_disk.set_exception(INTERNAL_SERVER_ERROR(f"The change was not recorded: {self.failure}"))
                    continue
                for _, on_disk in batch:
                    on_disk.set_result(None)
        finally:
            self.flushing = False

    # -- checkpoints and leases ----------------------------------------------------------------------

    async def checkpoint(self) -> int:
        """Fold the book into the store now (unless the store is leased); the rows folded."""
        async with self.store.lock:
            return await self._checkpoint_locked()

    async def _checkpoint_locked(self) -> int:
        if not self.entries or self.store.read_only:
            return 0
        loop = asyncio.get_running_loop()
        # Every record written so far is in a segment up to `closed`, and every such change is in the book.
        closed = await loop.run_in_executor(self.io, self.journal.rotate)
        folded = sorted(self.entries.values(), key=lambda entry: entry.lsn)
        assigned = await self.store.write_locked(lambda con: fold_rows(con, [entry.row for entry in folded]))
        await loop.run_in_executor(self.io, self.journal.drop_through, closed)
        # Packing the folded versions into the held rows takes a while: a part at a time, so requests go on meanwhile
        # (the book's rows still stand in front of them). Then they leave the book at once: whatever a change read
        # before is stale from then on, and it reads again.
        for start in range(0, len(folded), SETTLE_ROWS):
            self.held.folded(replace(entry.row, seq=assigned[entry.row.key]) if entry.row.seq is None else entry.row
                             for entry in folded[start:start + SETTLE_ROWS])
            await asyncio.sleep(0)
        for entry in folded:
            now = self.entries.get(entry.row.key)
            if now is entry:
                self._forget(entry)
            elif now is not None and now.row.seq is None and entry.row.key in assigned:
                self.entries[entry.row.key] = replace(now, row=replace(now.row, seq=assigned[entry.row.key]))
        self.generation += 1
        return len(folded)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Write the store directly in the block (holding `store.lock`): the book is folded first and the
        interactions' changes wait until the block is done."""
        async with self.store.lock:
            self.writes_open.clear()
            try:
                await self._checkpoint_locked()
                self.held.forget()
                yield
            finally:
                self.generation += 1
                self.writes_open.set()
                self._spawn(self.hold_upcoming())

    async def lease(self) -> None:
        """Fold the book into the store and make the store readable by other processes until `release`."""
        async with self.store.lock:
            await self._checkpoint_locked()
            if not self.store.read_only:
                await self.store.reopen(read_only=True)
            self.leases += 1

    def release(self) -> None:
        self.leases -= 1
        if not self.leases:
            self._spawn(self._write_again())

    async def _write_again(self) -> None:
        """Take the store back for writing once the last reader has closed it."""
        while not self.leases and self.store.read_only:
            async with self.store.lock:
                if not self.leases and self.store.read_only and await self.store.reopen(read_only=False):
                    return
            await asyncio.sleep(REGAIN_SECONDS)

    async def hold_upcoming(self) -> None:
        """Read the store's upcoming appointments, busy slots and patients into memory (see gpsynth.sandbox.held_rows)."""
        try:
            async with self.store.lock:
                await self.held.load(self.clock())
            gc.freeze()     # they live until the next load: spare the collector walking them
        except Exception:
            log.exception("reading the rows to hold failed; they are looked up in the store instead")

    async def run_checkpoints(self) -> None:
        """Fold the book whenever the sandbox has been idle for a moment."""
        while True:
            await asyncio.sleep(self.idle_seconds / 2)
            if self.entries and time.monotonic() - self.last_change >= self.idle_seconds and not self.store.read_only:
                try:
                    await self.checkpoint()
                except Exception:
                    log.exception("a checkpoint failed; the changes stay in the journal and are folded later")

    async def close(self) -> None:
        """Fold what the book holds (when the store can be written) and close the journal."""
        while self.pending or self.flushing:
            await asyncio.sleep(0.01)
        try:
            await self.checkpoint()
        except Exception:
            log.exception("the last checkpoint failed; the journal keeps the changes for the next start")
        self.io.submit(self.journal.close).result()
        self.io.shutdown(wait=True)

    def _spawn(self, work: Awaitable) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
