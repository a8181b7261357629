"""Parquet: the store's tables as Parquet files, one folder per table, split by part and past a size limit.

Resource tables are partitioned by region, the letters of the practice's ODS code before its number
(`slot/region=GPSL/slot-00003.parquet` for part 3, `organization/region=consumers/...`), in the Hive
layout that DuckDB, pyarrow, Spark and pandas read as one table with a `region` column. A dataset of
one part numbers its files by piece instead (`slot-00001.parquet`, `slot-00002.parquet` past the limit);
a larger one by part, then piece (`slot-00003.parquet`, `slot-00003.2.parquet`). The `shard` and
`dataset` tables, and an empty file for a table without rows, are written once every part is done.

Rows are written in fixed-size row groups whatever the shard sizes, with fixed writer options, so
the same dataset gives byte-identical files, from `generate` or from `gpsynth export`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from ..destination import Destination
from ..parts import Part
from ..store.rows import dataset_table, shard_table
from ..store.schema import DATASET_TABLE, RESOURCE_TABLES, SHARD_TABLE, Table
from ..info import DatasetInfo
from .base import AfterAllParts, PartResult, ShardOutput, WrittenFile

DEFAULT_MAX_FILE_BYTES = 1 << 30
ROW_GROUP_ROWS = 50_000
WRITER_OPTIONS = {"compression": "zstd", "compression_level": 1, "version": "2.6"}
# zstd at level 1 writes the resources' JSON a fifth faster than level 3 and packs it as tight. Every
# resource's JSON differs and nobody filters on it, so that column has no dictionary and no statistics.
UNINDEXED = {"resource"}
WHOLE = Part(1, 1)      # the tables written once for the whole dataset


def file_name(table: Table, part: Part, piece: int) -> str:
    if part.single:
        return f"{table.name}-{piece:05d}.parquet"
    return f"{table.name}-{part.number:05d}" + ("" if piece == 1 else f".{piece}") + ".parquet"


@dataclass(frozen=True)
class _OpenFile:
    stream: IO[bytes]
    writer: pq.ParquetWriter


def writer_options(table: Table) -> dict:
    indexed = [name for name in table.column_names if name not in UNINDEXED]
    return {**WRITER_OPTIONS, "use_dictionary": indexed, "write_statistics": indexed}


class TableFiles:
    """One table's Parquet files within a part: numbered pieces, a new one once the current passes the limit."""

    def __init__(self, destination: Destination, folder: str, table: Table, part: Part, max_file_bytes: int,
                 row_group_rows: int):
        self.destination, self.folder, self.part = destination, folder, part
        self.table, self.schema = table, table.arrow_schema
        self.max_file_bytes, self.row_group_rows = max_file_bytes, row_group_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.files: list[WrittenFile] = []
        self.current: _OpenFile | None = None

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.pending.append(rows)
            self.pending_rows += rows.num_rows
        while self.pending_rows >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _flush(self, n: int) -> None:
        """Write the first n pending rows as one row group (none for an empty table's only file)."""
        rows = pa.concat_tables(self.pending) if self.pending else self.schema.empty_table()
        self.pending = [rows.slice(n)] if rows.num_rows > n else []
        self.pending_rows = rows.num_rows - n
        if self.current is None:
            name = f"{self.folder}/{file_name(self.table, self.part, len(self.files) + 1)}"
            self.files.append(WrittenFile(self.table.name, name, 0))
            stream = self.destination.open(name)
            self.current = _OpenFile(stream, pq.ParquetWriter(stream, self.schema, **writer_options(self.table)))
        if n:
            # One contiguous chunk, so the bytes do not depend on how the rows arrived.
            self.current.writer.write_table(rows.slice(0, n).combine_chunks(), row_group_size=n)
            last = self.files[-1]
            self.files[-1] = WrittenFile(last.kind, last.name, last.count + n)
        if self.current.stream.tell() >= self.max_file_bytes:
            self._close_file()

    def _close_file(self) -> None:
        if self.current is not None:
            self.current.writer.close()
            self.current.stream.close()
            self.current = None

    def close(self) -> list[WrittenFile]:
        if self.pending_rows or not self.files:
            self._flush(self.pending_rows)
        self._close_file()
        return self.files


class ParquetPart:
    def __init__(self, destination: Destination, part: Part, max_file_bytes: int, row_group_rows: int):
        self.destination, self.part = destination, part
        self.max_file_bytes, self.row_group_rows = max_file_bytes, row_group_rows
        self.partitions: dict[tuple[str, str], TableFiles] = {}

    def write(self, output: ShardOutput) -> None:
        region = region_of(output.practice_ods)
        for resource_type, rows in output.store_rows.tables.items():
            if rows.num_rows:
                table = RESOURCE_TABLES[resource_type]
                key = (table.name, region)
                if key not in self.partitions:
                    self.partitions[key] = TableFiles(self.destination, f"parquet/{table.name}/region={region}", table,
                                                      self.part, self.max_file_bytes, self.row_group_rows)
                self.partitions[key].add(rows)

    def close(self) -> PartResult:
        return PartResult(tuple(f for files in self.partitions.values() for f in files.close()))


@dataclass(frozen=True)
class ParquetFormat:
    info: DatasetInfo
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    row_group_rows: int = ROW_GROUP_ROWS
    name = "parquet"
    needs = frozenset({"rows"})

    def part_writer(self, destination: Destination, part: Part) -> ParquetPart:
        return ParquetPart(destination, part, self.max_file_bytes, self.row_group_rows)

    def finisher(self, destination: Destination) -> AfterAllParts:
        return AfterAllParts(partial(self.finish, destination))

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]],
               counts: dict[str, int]) -> None:
        written = {f.kind for result in results for f in result.files}
        # A table without rows still gets a file, so its schema can be read.
        empty = [t for t in RESOURCE_TABLES.values() if t.name not in written]
        for table, rows in [(SHARD_TABLE, shard_table(shards)), (DATASET_TABLE, dataset_table(self.info, counts)),
                            *((t, t.arrow_schema.empty_table()) for t in empty)]:
            files = TableFiles(destination, f"parquet/{table.name}", table, WHOLE, self.max_file_bytes, self.row_group_rows)
            files.add(rows)
            files.close()


def region_of(practice_ods: str) -> str:
    """A practice's region: the letters of its ODS code before the number (GPSL0001 -> GPSL)."""
    return practice_ods.rstrip("0123456789") or practice_ods
