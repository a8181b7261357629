"""Parquet: the store's tables as Parquet files, one folder per table, split past a size limit.

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
        self.folder = sink_folder(folder, table.name)
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
        folder = sink_folder(root, "parquet")
        self.info = info
        self.files = {t.name: TableFiles(folder, t, max_file_bytes, row_group_rows)
                      for t in (*RESOURCE_TABLES.values(), SHARD_TABLE, DATASET_TABLE)}
        self.counts = Counter()

    def write(self, output: ShardOutput) -> None:
        for resource_type, table in output.rows.tables.items():
            self.files[RESOURCE_TABLES[resource_type].name].add(table)
            self.counts[resource_type] += table.num_rows
        self.files[SHARD_TABLE.name].add(output.rows.shard_table())

    def close(self) -> dict[str, int]:
        counts = {t: self.counts[t] for t in RESOURCE_TYPES if self.counts[t]}
        self.files[DATASET_TABLE.name].add(dataset_table(self.info, counts))
        for files in self.files.values():
            files.close()
        return counts
