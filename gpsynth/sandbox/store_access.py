"""The sandbox's hold on its store: reads on a pool of threads, one writer, and a read-only spell for other commands.

DuckDB runs queries without the GIL, so reads go to a small thread pool, each thread with its own
cursor. Changes to the store file (checkpoints of the live book, administration loads, horizon
rolls) go through `write`: one asyncio lock, one writer thread, one DuckDB transaction each. The
interactions themselves never wait for the store file: their changes live in the live book
(gpsynth.sandbox.live_book) until a checkpoint folds them in.

Another gpsynth command can read the store only while no process holds it for writing, so for a
lease the sandbox reopens it read-only (`reopen`), and for writing again afterwards. Reads wait
while the store is reopened; a write while it is read-only raises `StoreLeased`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import duckdb

from ..errors import GpsynthError
from ..store import open_store, transaction

T = TypeVar("T")
READ_THREADS = 4
CHECKPOINT_THRESHOLD = "256MB"
MEMORY_LIMIT = "128MB"
WRITER_NICENESS = 10
# Point lookups by id (reads, and the rows a change starts from) use these indexes; they are made
# the first time a store is served and kept in the file.
INDEXES = {"patient_id": "patient(id)", "patient_nhs_number": "patient(nhs_number)",
           "appointment_id": "appointment(id)", "appointment_patient": "appointment(patient_id)", "slot_id": "slot(id)"}


def yield_to_requests() -> None:
    """Lower the calling thread's scheduling priority: a checkpoint folding thousands of rows then takes the
    cores the requests leave, rather than a share that makes them wait."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WRITER_NICENESS)
    except (OSError, AttributeError):       # not allowed here, or no per-thread priorities on this system
        pass


class StoreLeased(GpsynthError):
    """The store is read-only for now: another gpsynth command is reading it."""


class StoreAccess:
    def __init__(self, path: Path | str, read_threads: int = READ_THREADS):
        self.path = Path(path)
        self.read_only = False
        self.con = self._connect(read_only=False)
        for name, target in INDEXES.items():
            self.con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}").fetchall()
        self.local = threading.local()
        self.cursors: list[duckdb.DuckDBPyConnection] = []
        self.generation = 0           # of the connection: thread cursors of an older one are not used
        self.readers = ThreadPoolExecutor(read_threads, thread_name_prefix="gpsynth-read")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="gpsynth-write", initializer=yield_to_requests)
        self.lock = asyncio.Lock()
        self.open = asyncio.Event()
        self.open.set()
        self.reading = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = open_store(self.path, read_only=read_only, own=True)
        # Point lookups all over the store would otherwise keep every block they touched, up to most of the RAM.
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        if not read_only:
            # Checkpoint at shutdown (see close) rather than inside the commit of every 16 MB of changes.
            con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'").fetchall()
        return con

    def serving(self) -> None:
        """From now on many small queries at once: one thread each beats two threads each fighting for two cores.
        (Until now, the start-up reads of whole tables had every core.)"""
        self.con.execute("SET threads = 1").fetchall()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the store."""
        if getattr(self.local, "generation", None) != self.generation:
            self.local.cursor = self.con.cursor()
            self.local.generation = self.generation
            self.cursors.append(self.local.cursor)
        return self.local.cursor

    def read_now(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `query` on this thread (for start-up and tests)."""
        return query(self.cursor())

    async def read(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        while not self.open.is_set():
            await self.open.wait()
        self.reading += 1
        self.idle.clear()
        try:
            return await asyncio.get_running_loop().run_in_executor(self.readers, lambda: query(self.cursor()))
        finally:
            self.reading -= 1
            if not self.reading:
                self.idle.set()

    def write_now(self, change: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `change` in one transaction on this thread, before serving starts."""
        return self._commit(change)

    async def write(self, change: Callable[[duckdb.DuckDBPyConnection], T],
                    apply: Callable[[T], None] | None = None) -> T:
        """Run `change` in one transaction on the writer thread; then `apply(result)` on the event loop.

        Changes run one at a time, in the order they asked for the lock.
        """
        async with self.lock:
            return await self.write_locked(change, apply)

    async def write_locked(self, change: Callable[[duckdb.DuckDBPyConnection], T],
                           apply: Callable[[T], None] | None = None) -> T:
        """`write`, for a caller already holding `lock`."""
        if self.read_only:
            raise StoreLeased(f"{self.path} is being read by another gpsynth command; try again when it is done")
        result = await asyncio.get_running_loop().run_in_executor(self.writer, self._commit, change)
        if apply is not None:
            apply(result)
        return result

    def _commit(self, change: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        with transaction(self.cursor()) as con:     # the writer is one thread: its own cursor
            return change(con)

    async def reopen(self, read_only: bool) -> bool:
        """Reopen the store read-only or for writing (caller holds `lock`); False when DuckDB refuses (then unchanged)."""
        self.open.clear()
        try:
            await self.idle.wait()
            return await asyncio.get_running_loop().run_in_executor(self.writer, self._reopen, read_only)
        finally:
            self.open.set()

    def _reopen(self, read_only: bool) -> bool:
        self._close_connection()
        try:
            self.con = self._connect(read_only)
        except GpsynthError:
            self.con = self._connect(self.read_only)
            return False
        finally:
            self.generation += 1
            self.serving()
        self.read_only = read_only
        return True

    def _close_connection(self) -> None:
        for cursor in self.cursors:
            cursor.close()
        self.cursors.clear()
        if not self.read_only:
            self.con.execute("CHECKPOINT").fetchall()
        self.con.close()

    def close(self) -> None:
        self.readers.shutdown(wait=True)
        self.writer.shutdown(wait=True)
        self._close_connection()
