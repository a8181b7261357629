"""Parquet: the store's tables as Parquet files, one folder per table, split past a size limit.

Resource tables are partitioned by region, the letters of the practice's ODS code before its number
(`slot/region=GPSL/slot-00001.parquet`, `organization/region=consumers/...`), in the Hive layout that
DuckDB, pyarrow, Spark and pandas read as one table with a `region` column.

Rows are written in fixed-size row groups whatever the shard sizes, with fixed writer options, so
the same dataset gives byte-identical files, from `generate` or from `gpsynth export`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..fhir.constants import RESOURCE_TYPES
from ..store.rows import dataset_table
from ..store.schema import DATASET_TABLE, RESOURCE_TABLES, SHARD_TABLE, Table
from .base import DatasetInfo, ShardOutput, sink_folder

DEFAULT_MAX_FILE_BYTES = 1 << 30
ROW_GROUP_ROWS = 50_000
WRITER_OPTIONS = {"compression": "zstd", "compression_level": 3, "version": "2.6", "write_statistics": True}


class TableFiles:
    """One table's Parquet files: numbered parts, a new part once the current one passes the limit."""

    def __init__(self, folder: Path, table: Table, max_file_bytes: int, row_group_rows: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.table, self.schema = table, table.arrow_schema
        self.max_file_bytes, self.row_group_rows = max_file_bytes, row_group_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.parts = 0
        self.stream = self.writer = None

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.pending.append(rows)
            self.pending_rows += rows.num_rows
        while self.pending_rows >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _flush(self, n: int) -> None:
        """Write the first n pending rows as one row group (none for an empty table's only part)."""
        rows = pa.concat_tables(self.pending) if self.pending else self.schema.empty_table()
        self.pending = [rows.slice(n)] if rows.num_rows > n else []
        self.pending_rows = rows.num_rows - n
        if self.writer is None:
            self.parts += 1
            self.stream = pa.OSFile(str(self.folder / f"{self.table.name}-{self.parts:05d}.parquet"), "wb")
            self.writer = pq.ParquetWriter(self.stream, self.schema, **WRITER_OPTIONS)
        if n:
            # One contiguous chunk, so the bytes do not depend on how the rows arrived.
            self.writer.write_table(rows.slice(0, n).combine_chunks(), row_group_size=n)
        if self.stream.tell() >= self.max_file_bytes:
            self._close_part()

    def _close_part(self) -> None:
        self.writer.close()
        self.stream.close()
        self.stream = self.writer = None

    def close(self) -> None:
        if self.pending_rows or not self.parts:
            self._flush(self.pending_rows)
        if self.writer is not None:
            self._close_part()


class ParquetSink:
    needs = frozenset({"rows"})

    def __init__(self, root: Path, info: DatasetInfo, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 row_group_rows: int = ROW_GROUP_ROWS):
        self.folder, self.info = sink_folder(root, "parquet"), info
        self.max_file_bytes, self.row_group_rows = max_file_bytes, row_group_rows
        self.files = {t.name: self._files(self.folder / t.name, t) for t in (SHARD_TABLE, DATASET_TABLE)}
        self.partitions: dict[tuple[str, str], TableFiles] = {}
        self.counts = Counter()

    def _files(self, folder: Path, table: Table) -> TableFiles:
        return TableFiles(folder, table, self.max_file_bytes, self.row_group_rows)

    def write(self, output: ShardOutput) -> None:
        region = region_of(output.practice_ods)
        for resource_type, rows in output.rows.tables.items():
            if rows.num_rows:
                table = RESOURCE_TABLES[resource_type]
                key = (table.name, region)
                if key not in self.partitions:
                    self.partitions[key] = self._files(self.folder / table.name / f"region={region}", table)
                self.partitions[key].add(rows)
                self.counts[resource_type] += rows.num_rows
        self.files[SHARD_TABLE.name].add(output.rows.shard_table())

    def close(self) -> dict[str, int]:
        counts = {t: self.counts[t] for t in RESOURCE_TYPES if self.counts[t]}
        self.files[DATASET_TABLE.name].add(dataset_table(self.info, counts))
        # A table without rows still gets a file, so its schema can be read.
        empty = [t for t in RESOURCE_TABLES.values() if not any(name == t.name for name, _ in self.partitions)]
        for files in [*self.files.values(), *self.partitions.values(), *(self._files(self.folder / t.name, t) for t in empty)]:
            files.close()
        return counts


def region_of(practice_ods: str) -> str:
    """A practice's region: the letters of its ODS code before the number (GPSL0001 -> GPSL)."""
    return practice_ods.rstrip("0123456789") or practice_ods
