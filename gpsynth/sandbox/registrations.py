"""Which patients each practice holds, and in what state: what every booking checks first.

Read from the store a practice at a time (a few milliseconds for ten thousand patients): in the
background at start, up to `PRELOADED` patients, and otherwise the first time a booking at the
practice needs them; then kept in step by the registrations the sandbox makes. An administration
load may change any patient, so it makes every practice be read again.
"""

from __future__ import annotations

import asyncio

from collections.abc import Iterable

from .directory import Practice
from .store_access import StoreAccess

PRELOADED = 2_000_000     # patients read at start: a few hundred MB at most, and no wait at a practice's first booking


class Registrations:
    def __init__(self, store: StoreAccess):
        self.store = store
        self.by_practice: dict[str, dict[str, str]] = {}          # organization id -> {patient id: state}
        self.loading: dict[str, asyncio.Future] = {}
        self.version = 0        # goes up at every `forget`: a read begun before is not kept

    async def load(self, practice: Practice) -> None:
        """Have the practice's patients at hand."""
        key = practice.organization_id
        if key in self.by_practice:
            return
        version = self.version
        if key not in self.loading:
            self.loading[key] = asyncio.ensure_future(self._read(practice))
        try:
            patients = await asyncio.shield(self.loading[key])
        finally:
            self.loading.pop(key, None)
        if version == self.version:
            self.by_practice.setdefault(key, patients)

    async def preload(self, practices: Iterable[Practice]) -> None:
        """Read practices' patients one after another, until `PRELOADED` patients are held."""
        held = 0
        for practice in practices:
            if held >= PRELOADED:
                return
            await self.load(practice)
            held += len(self.by_practice.get(practice.organization_id, ()))

    async def _read(self, practice: Practice) -> dict[str, str]:
        rows = await self.store.read(lambda con: con.execute(
            "SELECT id, state FROM patient WHERE shard = ? AND organization_id = ?",
            [practice.shard, practice.organization_id]).fetchall())
        return dict(rows)

    def state(self, practice: Practice, patient_id: str) -> str | None:
        """The patient's state at the practice now (after `load`); None when the practice holds no such patient."""
        return self.by_practice[practice.organization_id].get(patient_id)

    def registered(self, organization_id: str, patient_id: str, state: str) -> None:
        patients = self.by_practice.get(organization_id)
        if patients is not None:
            patients[patient_id] = state

    def forget(self) -> None:
        self.by_practice.clear()
        self.version += 1
