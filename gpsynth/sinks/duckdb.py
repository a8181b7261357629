"""The DuckDB store: one file with a typed table per resource type (schema in gpsynth.store.schema)."""

from __future__ import annotations

from pathlib import Path

from ..store.database import StoreWriter
from ..store.schema import DEFAULT_STORE_NAME
from .base import DatasetInfo, ShardOutput


class DuckdbSink:
    needs = frozenset({"rows"})

    def __init__(self, root: Path, info: DatasetInfo, name: str = DEFAULT_STORE_NAME):
        self.writer = StoreWriter(root / name, info)

    def write(self, output: ShardOutput) -> None:
        self.writer.add(output.rows)

    def close(self) -> dict[str, int]:
        return self.writer.finish()
