"""Export: a store's shards, in output order and in the same parts, fed back through the file formats.

The formats that write FHIR text need only the rendered resources and the shard's practice code, and
Parquet takes store rows, so an export equals generating that format directly.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa

from .dataset import OutputOptions, make_formats
from .destination import Destination
from .errors import GpsynthError
from .fhir.constants import RESOURCE_TYPES
from .output import atomic_folder
from .parts import Part, part_of
from .sinks.base import ShardOutput
from .sinks.writing import finish, write_part
from .store.database import open_store, store_info
from .store.rows import ShardRows
from .store.schema import RESOURCE_TABLES

EXPORT_FORMATS = ("json", "ndjson", "parquet")


def stored_shards(con: duckdb.DuckDBPyConnection) -> Iterator[ShardRows]:
    """Every shard of the store, in output order, with its rows in output order."""
    selects = {}
    for resource_type, table in RESOURCE_TABLES.items():
        names = ", ".join(f'"{name}"' for name in table.column_names)
        selects[resource_type] = (f"SELECT {names} FROM {table.name} WHERE shard = ? ORDER BY seq", table.arrow_schema)
    for number, practice_ods in con.execute("SELECT shard, practice_ods FROM shard ORDER BY shard").fetchall():
        tables = {}
        for resource_type in RESOURCE_TYPES:
            query, schema = selects[resource_type]
            tables[resource_type] = con.sql(query, params=[number]).to_arrow_table().cast(schema)
        yield ShardRows(number, practice_ods, tables)


def rendered_resources(rows: ShardRows) -> dict[str, pa.Array]:
    """The shard's resources as the renderer produced them, by type."""
    return {t: table["resource"].combine_chunks() for t, table in rows.tables.items()}


def export_store(store: Path | str, out: Path | str, *, options: OutputOptions = OutputOptions(), overwrite: bool = False,
                 on_shard: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write the store's dataset to `out` (atomically) in the chosen formats; return resources by type.

    `on_shard(done, total)` hears of each shard written.

    >>> export_store("demo/", "demo-files/", options=OutputOptions(("ndjson", "parquet")))   # doctest: +SKIP
    {'Organization': 3, 'Location': 2, ...}
    """
    for name in options.formats:
        if name not in EXPORT_FORMATS:
            raise GpsynthError(f"cannot export to {name!r}; allowed: {', '.join(EXPORT_FORMATS)}")
    con = open_store(store)
    try:
        info = store_info(con).dataset_info()
        formats = make_formats(info, options)
        total = part_of(con.sql("SELECT coalesce(max(shard), 0) FROM shard").fetchall()[0][0])
        shards = con.sql("SELECT count(*) FROM shard").fetchall()[0][0]
        outputs = (ShardOutput(rows.shard, rows.practice_ods, rendered_resources(rows), rows) for rows in stored_shards(con))
        with atomic_folder(Path(out), overwrite) as folder:
            destination = Destination.local(folder)
            summaries = []
            for number, part in groupby(outputs, key=lambda output: part_of(output.number)):
                summaries.append(write_part(formats, destination, Part(number, total), part))
                if on_shard:
                    on_shard(sum(len(s.shards) for s in summaries), shards)
            counts = finish(formats, destination, summaries)
            (folder / "scenario.yaml").write_text(info.rules_yaml, encoding="utf-8")
    finally:
        con.close()
    return counts
