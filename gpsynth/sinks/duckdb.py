"""The DuckDB store: one file with a typed table per resource type (schema in gpsynth.store.schema).

One file has one writer, so the parts cannot write it themselves. Each part writes its store rows as
Arrow IPC files (`.store-parts/00003/slot.arrow`: the columns exactly as the store types them,
uncompressed, read back memory-mapped). As each part is done, in part order, the finishing step inserts
its files into the store and deletes them, while later parts are still being generated: the parts of
the full `england` preset would take some 180 GB held until the end. Inserting Arrow is DuckDB's fastest
bulk path, and the part files cost a write and a read of the rows, not a second encoding.
"""

from __future__ import annotations

import shutil
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
                name = f"{SCRATCH}/{self.part.number:05d}/{table.name}.arrow"
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

    def finisher(self, destination: Destination) -> StoreFinisher:
        return StoreFinisher(destination, self.info, self.store_name)


class StoreFinisher:
    """Builds the store in the calling process, a part at a time, and puts it in place at the end."""

    def __init__(self, destination: Destination, info: DatasetInfo, store_name: str):
        self.destination, self.store_name = destination, store_name
        self.staging: Path | None = None
        folder = destination.local_root
        if folder is None:         # a store for a remote destination is built locally, then uploaded
            self.staging = folder = Path(tempfile.mkdtemp(prefix="gpsynth-store-"))
        self.writer: StoreWriter | None = StoreWriter(folder / store_name, info)

    def add(self, result: PartResult) -> None:
        assert self.writer is not None, "the store is already finished"
        for written in result.files:
            self.writer.insert(RESOURCE_TABLES[written.kind].name, read_part_file(self.destination, written.name))
        for folder in sorted({written.name.rsplit("/", 1)[0] for written in result.files}):
            self.destination.remove(folder)

    def finish(self, shards: list[tuple[int, str]], counts: dict[str, int]) -> None:
        assert self.writer is not None, "the store is already finished"
        self.writer.finish(counts, shards)
        self.writer = None
        if self.staging is not None:
            self.destination.put(self.staging / self.store_name, self.store_name)
        self.destination.remove(SCRATCH)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.abandon()
            self.writer = None
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)


def read_part_file(destination: Destination, name: str) -> pa.Table:
    if destination.local_root is not None:
        return pa.ipc.open_file(pa.memory_map(destination.path(name))).read_all()
    with destination.open(name, "rb") as handle:
        return pa.ipc.open_file(pa.py_buffer(handle.read())).read_all()
