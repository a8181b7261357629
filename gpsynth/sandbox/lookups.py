"""Point lookups of store rows, gathered: what is asked for while earlier lookups run goes as one query.

A DuckDB point query costs about the same for one id as for ten (planning it is most of the cost), so
under load the lookups of one kind (a resource type, the column looked up, the columns read) wait for
the query in flight and then go together, up to `MOST` values at a time, `IN_FLIGHT` queries per
kind at once. An idle sandbox sends a lookup at once, alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from functools import partial

from ..store.live_rows import LiveRow, stored_rows
from .store_access import StoreAccess

MOST = 64
IN_FLIGHT = 1     # one query at a time per kind: fuller batches, and the second core left to the requests

Kind = tuple[str, str, tuple[str, ...] | None]      # resource type, column looked up, typed columns read


class Lookups:
    def __init__(self, store: StoreAccess):
        self.store = store
        self.waiting: dict[Kind, dict[str, list[asyncio.Future]]] = {}
        self.running: dict[Kind, int] = {}
        self.tasks: set[asyncio.Task] = set()

    def rows(self, resource_type: str, column: str, value: str,
             typed: tuple[str, ...] | None = None) -> Awaitable[list[LiveRow]]:
        """The store's rows whose `column` equals `value` (see gpsynth.store.live_rows.stored_rows)."""
        kind = (resource_type, column, typed)
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(kind, {}).setdefault(value, []).append(future)
        if self.running.get(kind, 0) < IN_FLIGHT:
            self.running[kind] = self.running.get(kind, 0) + 1
            task = asyncio.ensure_future(self._run(kind))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return future

    async def _run(self, kind: Kind) -> None:
        resource_type, column, typed = kind
        try:
            while waiting := self.waiting.get(kind):
                values = list(waiting)[:MOST]
                batch = {value: waiting.pop(value) for value in values}
                try:
                    found = await self.store.read(partial(stored_rows, resource_type=resource_type, column=column,
                                                          values=values, typed=typed))
                except Exception as exc:
                    for futures in batch.values():
                        for future in futures:
                            future.set_exception(exc)
                    continue
                by_value: dict[str, list[LiveRow]] = {}
                for row in found:
                    by_value.setdefault(row.id if column == "id" else row.columns[column], []).append(row)
                for value, futures in batch.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(by_value.get(value, []))
        finally:
            self.running[kind] -= 1
