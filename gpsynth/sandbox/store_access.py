"""The sandbox's hold on its store: reads on a pool of threads, and one writer that changes it.

DuckDB runs queries without the GIL, so reads go to a small thread pool, each thread with its own
cursor. Every change goes through `write`: one asyncio lock, one writer thread and one DuckDB
transaction per change, so two bookings can never both see a slot free. `write` can also apply the
change to the in-memory indexes after the commit, still holding the lock, so they follow the store in
commit order.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import duckdb

from ..store import open_store, transaction

T = TypeVar("T")
READ_THREADS = 4
CHECKPOINT_THRESHOLD = "256MB"


class StoreAccess:
    def __init__(self, path: Path | str, read_threads: int = READ_THREADS):
        self.path = Path(path)
        self.con = open_store(self.path, read_only=False)
        # Many small queries at once: one thread each beats two threads each fighting for two cores.
        self.con.execute("SET threads = 1").fetchall()
        # Checkpoint at shutdown (see close) rather than inside the commit of every 16 MB of changes:
        # a load of a few hundred thousand resources commits three times faster.
        self.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'").fetchall()
        self.local = threading.local()
        self.readers = ThreadPoolExecutor(read_threads, thread_name_prefix="gpsynth-read")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="gpsynth-write")
        self.write_cursor = self.con.cursor()
        self.lock = asyncio.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the store."""
        cursor = getattr(self.local, "cursor", None)
        if cursor is None:
            cursor = self.local.cursor = self.con.cursor()
        return cursor

    def read_now(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `query` on this thread (for start-up and tests)."""
        return query(self.cursor())

    async def read(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.readers, lambda: query(self.cursor()))

    def write_now(self, change: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `change` in one transaction on this thread, before serving starts."""
        return self._commit(change)

    async def write(self, change: Callable[[duckdb.DuckDBPyConnection], T],
                    apply: Callable[[T], None] | None = None) -> T:
        """Run `change` in one transaction on the writer thread; then `apply(result)` on the event loop.

        Changes run one at a time, in the order they asked for the lock.
        """
        async with self.lock:
            result = await asyncio.get_running_loop().run_in_executor(self.writer, self._commit, change)
            if apply is not None:
                apply(result)
            return result

    def _commit(self, change: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        with transaction(self.write_cursor) as con:
            return change(con)

    def close(self) -> None:
        self.readers.shutdown(wait=True)
        self.writer.shutdown(wait=True)
        self.con.execute("CHECKPOINT").fetchall()
        self.con.close()
