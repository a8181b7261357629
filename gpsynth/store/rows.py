"""Store rows: a shard's records and rendered resources as typed Arrow tables, one per store table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import pyarrow as pa

from ..fhir.constants import RESOURCE_TYPES
from ..records import Columns, Shard
from ..info import DatasetInfo
from .schema import ARROW_TYPES, COMMON, DATASET_TABLE, INSTANT, RESOURCE_TABLES, SHARD_TABLE, STORE_FORMAT

# Columns named differently from the record field they come from.
SOURCES = {
    ("Appointment", "minutes_duration"): attrgetter("minutes"),
    ("Appointment", "booking_ods_code"): attrgetter("booking_organisation.ods_code"),
    ("Appointment", "booking_org_type"): attrgetter("booking_organisation.org_type"),
}
PARSED = ("TIMESTAMPTZ", "DATE")   # records keep these as ISO 8601 text
TEXT = ("VARCHAR", *PARSED)


@dataclass(frozen=True)
class ShardRows:
    """One shard as the store holds it: its number, its practice and a table per resource type."""

    shard: int
    practice_ods: str
    tables: dict[str, pa.Table]


def shard_table(shards: list[tuple[int, str]]) -> pa.Table:
    """The `shard` table's rows: each shard's number and practice ODS code, in order."""
    return pa.table({"shard": [n for n, _ in shards], "practice_ods": [ods for _, ods in shards]},
                    schema=SHARD_TABLE.arrow_schema)


def record_columns(resource_type: str, records: Sequence) -> dict:
    columns = {}
    for name, sql in RESOURCE_TABLES[resource_type].columns[:-len(COMMON)]:
        if isinstance(records, Columns):
            values = records.text(name) if sql in TEXT else records.column(name)
        else:
            values = list(map(SOURCES.get((resource_type, name), attrgetter(name)), records))
        columns[name] = pa.array(values, pa.string()).cast(ARROW_TYPES[sql]) if sql in PARSED else values
    return columns


def shard_rows(number: int, shard: Shard, rendered: dict[str, pa.Array], last_updated: str) -> ShardRows:
    """The store rows of shard `number` (0 for the consumer organisations, then each practice in order)."""
    stamp = pa.scalar(last_updated).cast(INSTANT)
    tables = {}
    for resource_type, records in shard.by_type().items():
        n = len(records)
        columns = record_columns(resource_type, records)
        columns["shard"] = pa.repeat(pa.scalar(number, pa.int32()), n)
        columns["seq"] = pa.array(np.arange(1, n + 1, dtype=np.int64))
        columns["version_id"] = pa.repeat(pa.scalar(1, pa.int32()), n)
        columns["last_updated"] = pa.repeat(stamp, n)
        columns["resource"] = rendered[resource_type]
        tables[resource_type] = pa.table(columns, schema=RESOURCE_TABLES[resource_type].arrow_schema)
    return ShardRows(number, shard.practice_ods, tables)


def dataset_table(info: DatasetInfo, counts: dict[str, int]) -> pa.Table:
    row = {
        "store_format": [STORE_FORMAT],
        "gpsynth_version": [info.version],
        "scenario_name": [info.scenario_name],
        "scenario_yaml": [info.rules_yaml],
        "seed": [info.seed],
        "as_of": [info.as_of],
        "last_updated": [info.last_updated],
        "counts": [{t: counts.get(t, 0) for t in RESOURCE_TYPES}],
    }
    return pa.table(row, schema=DATASET_TABLE.arrow_schema)
