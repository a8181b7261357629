"""The DuckDB store: one file with a typed table per resource type (schema in gpsynth.store.schema)."""

from __future__ import annotations

from pathlib import Path

from ..records import Shard
from ..store.database import StoreWriter
from ..store.rows import shard_rows
from ..store.schema import DEFAULT_STORE_NAME
from .base import DatasetInfo


class DuckdbSink:
    needs_records = True

    def __init__(self, root: Path, info: DatasetInfo, name: str = DEFAULT_STORE_NAME):
        self.info = info
        self.shards = 0
        self.writer = StoreWriter(root / name, info)

    def write(self, shard: Shard, rendered: dict[str, list[bytes]]) -> None:
        self.writer.add(shard_rows(self.shards, shard, rendered, self.info.last_updated))
        self.shards += 1

    def close(self) -> dict[str, int]:
        return self.writer.finish()
