"""The DuckDB store: one file with a typed table per resource type (schema in gpsynth.store.schema).

One file has one writer, so the parts cannot write it themselves. Each part writes its store rows as
Arrow IPC files (`.store-parts/slot-00003.arrow`: the columns exactly as the store types them,
uncompressed, read back memory-mapped), and the finishing step inserts them into the store in part
order, then deletes them. Inserting Arrow is DuckDB's fastest bulk path, and the part files cost a
write and a read of the rows, not a second encoding.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa

from ..destination import Destination
from ..parts import Part
from ..store.database import StoreWriter
from ..store.schema import DEFAULT_STORE_NAME, RESOURCE_TABLES
from ..info import DatasetInfo
from .base import PartResult, ShardOutput, WrittenFile

SCRATCH = ".store-parts"


@dataclass
class _ArrowFile:
    handle: IO[bytes]
    writer: pa.ipc.RecordBatchFileWriter
    name: str
    rows: int = 0


class StorePart:
    def __init__(self, destination: Destination, part: Part):
        self.destination, self.part = destination, part
        self.writers: dict[str, _ArrowFile] = {}        # by resource type

    def write(self, output: ShardOutput) -> None:
        for resource_type, rows in output.store_rows.tables.items():
            if not rows.num_rows:
                continue
            if resource_type not in self.writers:
                table = RESOURCE_TABLES[resource_type]
                name = f"{SCRATCH}/{table.name}-{self.part.number:05d}.arrow"
                handle = self.destination.open(name)
                self.writers[resource_type] = _ArrowFile(handle, pa.ipc.new_file(handle, table.arrow_schema), name)
            entry = self.writers[resource_type]
            entry.writer.write_table(rows)
            entry.rows += rows.num_rows

    def close(self) -> PartResult:
        files = []
        for resource_type in RESOURCE_TABLES:
            if resource_type in self.writers:
                entry = self.writers[resource_type]
                entry.writer.close()
                entry.handle.close()
                files.append(WrittenFile(resource_type, entry.name, entry.rows))
        return PartResult(tuple(files))


@dataclass(frozen=True)
class DuckdbFormat:
    info: DatasetInfo
    store_name: str = DEFAULT_STORE_NAME
    name = "duckdb"
    needs = frozenset({"rows"})

    def part_writer(self, destination: Destination, part: Part) -> StorePart:
        return StorePart(destination, part)

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]],
               counts: dict[str, int]) -> None:
        local = destination.local_root
        with tempfile.TemporaryDirectory(prefix="gpsynth-store-") as staging:
            writer = StoreWriter((local or Path(staging)) / self.store_name, self.info)
            for result in results:
                for written in result.files:
                    writer.insert(RESOURCE_TABLES[written.kind].name, read_part_file(destination, written.name))
            writer.finish(counts, shards)
            if local is None:
                destination.put(Path(staging) / self.store_name, self.store_name)
        destination.remove(SCRATCH)


def read_part_file(destination: Destination, name: str) -> pa.Table:
    if destination.local_root is not None:
        return pa.ipc.open_file(pa.memory_map(destination.path(name))).read_all()
    with destination.open(name, "rb") as handle:
        return pa.ipc.open_file(pa.py_buffer(handle.read())).read_all()
