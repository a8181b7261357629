"""Export: a store's shards (read as `renditions.StoreFile`), in output order and in the same parts, fed back through
the file formats.

The formats that write FHIR text need only the rendered resources and the shard's practice code, and
Parquet takes store rows, so an export equals generating that format directly.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import pyarrow as pa

from .dataset import OutputOptions, make_formats
from .destination import Destination
from .errors import GpsynthError
from .output import atomic_folder
from .parts import Part, part_of
from .renditions import open_store_rendition
from .sinks.base import ShardOutput
from .sinks.writing import Finishing, write_part
from .store.rows import ShardRows

EXPORT_FORMATS = ("json", "ndjson", "parquet")


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
    stored = open_store_rendition(store)
    info = stored.info.dataset_info()
    formats = make_formats(info, options)
    total = part_of(stored.last_shard)
    outputs = (ShardOutput(rows.shard, rows.practice_ods, rendered_resources(rows), rows) for rows in stored.shards())
    with atomic_folder(Path(out), overwrite) as folder:
        destination = Destination.local(folder)
        with Finishing(formats, destination) as finishing:
            for number, part in groupby(outputs, key=lambda output: part_of(output.number)):
                finishing.add(write_part(formats, destination, Part(number, total), part))
                if on_shard:
                    on_shard(sum(len(s.shards) for s in finishing.summaries), stored.shard_count)
            counts = finishing.finish()
        (folder / "scenario.yaml").write_text(info.rules_yaml, encoding="utf-8")
    return counts
