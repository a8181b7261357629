"""Store and Parquet speed, against the idiomatic bulk load a competent user would write, measured in the same process.

    python benchmarks/store_bench.py [--practices 20] [--workers 2] [--baseline-sample 50000] [--repeat 3]

The dataset is generated once, in memory, with its store rows (made in the generating workers, timed
separately), and then handed to each sink, so the figures are the sinks' own: the bulk inserts, the
commit and checkpoint, the rename into place (DuckDB); the Parquet writer (Parquet). Each figure is the best of --repeat runs.
Prints slots/s for the whole store (every table loaded, per slot in the dataset), slots/s for the
slot table alone, MB/s of resource JSON, and the ratio to the baseline: the same slot rows as Python
dicts turned into one Arrow table (`pyarrow.Table.from_pylist`) and inserted with one `INSERT … SELECT`
(target: at least 1,000,000 slots/s loaded; the script says whether it is met).
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow
import yaml

from gpsynth.dataset import dataset_info, part_outputs, plan_parts
from gpsynth.destination import Destination
from gpsynth.parts import Part
from gpsynth.plan import make_plan
from gpsynth.scenario import parse_scenario, preset_text
from gpsynth.sinks.duckdb import DuckdbFormat
from gpsynth.sinks.parquet import ParquetFormat
from gpsynth.sinks.writing import finish, write_part
from gpsynth.store.database import StoreWriter
from gpsynth.store.rows import shard_rows
from gpsynth.store.schema import RESOURCE_TABLES

AS_OF = date(2026, 11, 25)


def scenario_with(practices: int):
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"]["count"] = practices
    return parse_scenario(rules, f"pcn with {practices} practices")


def best_of(repeat: int, run) -> float:
    """The shortest of `repeat` timed runs of run(folder), each in a fresh folder."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run(Path(tmp))
            times.append(time.perf_counter() - started)
    return min(times)


def through_format(output_format, shards):
    """The whole dataset written as one part through a format, then finished."""
    def run(folder: Path):
        destination = Destination.local(folder)
        finish([output_format], destination, [write_part([output_format], destination, Part(1, 1), shards)])
    return run


def slot_table_only(shards, info):
    """Bulk insert of the slot rows alone (Arrow tables made beforehand), commit, checkpoint, rename."""
    rows = [output.rows.tables["Slot"] for output in shards]

    def run(folder: Path):
        writer = StoreWriter(folder / "slots.duckdb", info)
        for table in rows:
            if table.num_rows:
                writer.insert(RESOURCE_TABLES["Slot"].name, table)
        writer.finish()
    return run


def baseline_slot_rate(shards, info, sample: int) -> float:
    """The idiomatic bulk load: the slot rows as dicts, one Arrow table, one INSERT … SELECT, commit, checkpoint."""
    slot_table = RESOURCE_TABLES["Slot"]
    rows = []
    for n, output in enumerate(shards):
        for slot, resource in zip(output.records.slots, output.rendered["Slot"].to_pylist(), strict=True):
            values = (slot.id, slot.schedule_id, slot.start, slot.end, slot.status, slot.delivery_channel, slot.bookable,
                      list(slot.restrict_org_types), list(slot.restrict_ods_codes), n, len(rows) + 1, 1,
                      info.last_updated, resource)
            rows.append(dict(zip(slot_table.column_names, values, strict=True)))
            if len(rows) == sample:
                break
        if len(rows) == sample:
            break
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "baseline.duckdb"))
        con.execute(slot_table.ddl()).fetchall()
        started = time.perf_counter()
        con.register("arrow_rows", pyarrow.Table.from_pylist(rows))
        con.execute("BEGIN TRANSACTION").fetchall()
        con.execute(f"INSERT INTO {slot_table.name} SELECT * FROM arrow_rows").fetchall()
        con.execute("COMMIT").fetchall()
        con.execute("CHECKPOINT").fetchall()
        seconds = time.perf_counter() - started
        con.close()
    return len(rows) / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-sample", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan = make_plan(scenario_with(args.practices), 1, AS_OF)
    info = dataset_info(plan)
    started = time.perf_counter()
    rules, needs = replace(plan, practices=()), frozenset({"rows", "records"})
    shards = [output for planned in plan_parts(plan) for output in part_outputs(rules, needs, planned, args.workers)]
    generated = time.perf_counter() - started
    # The whole dataset stays in memory for the runs; keep the collector from walking it over and over.
    gc.collect()
    gc.freeze()
    slots = sum(len(output.records.slots) for output in shards)
    resources = sum(len(texts) for output in shards for texts in output.rendered.values())
    json_mb = sum(texts.nbytes for output in shards for texts in output.rendered.values()) / 1e6

    rows_s = best_of(args.repeat, lambda _: [shard_rows(o.number, o.records, o.rendered, info.last_updated) for o in shards])
    store_s = best_of(args.repeat, through_format(DuckdbFormat(info), shards))
    slots_s = best_of(args.repeat, slot_table_only(shards, info))
    parquet_s = best_of(args.repeat, through_format(ParquetFormat(info), shards))
    baseline = baseline_slot_rate(shards, info, args.baseline_sample)

    print(f"dataset: pcn rules with {args.practices} practices, as of {AS_OF}: {slots:,} slots, {resources:,} resources, "
          f"{json_mb:,.0f} MB of resource JSON (generated in {generated:.1f} s on {args.workers} workers, not counted)")
    print(f"Arrow rows from records (made in the workers):{rows_s:6.2f} s  {slots / rows_s:>12,.0f} slots/s")
    print(f"DuckDB store, every table:                    {store_s:6.2f} s  {slots / store_s:>12,.0f} slots/s  "
          f"{resources / store_s:>10,.0f} resources/s  {json_mb / store_s:5.0f} MB/s")
    print(f"DuckDB store, slot table alone (bulk insert): {slots_s:6.2f} s  {slots / slots_s:>12,.0f} slots/s  "
          f"({slots / slots_s / baseline:.1f}x baseline)")
    print(f"Parquet, every table:                         {parquet_s:6.2f} s  {slots / parquet_s:>12,.0f} slots/s  "
          f"{resources / parquet_s:>10,.0f} resources/s  {json_mb / parquet_s:5.0f} MB/s")
    print(f"baseline: dicts -> Arrow table -> INSERT:     {baseline:>21,.0f} slots/s  ({args.baseline_sample:,} slots)")
    best = slots / min(store_s, slots_s)
    verdict = "met" if best >= 1_000_000 else f"NOT met ({best:,.0f} slots/s at best)"
    print(f"target: 1,000,000 slots/s loaded into the store: {verdict}")


if __name__ == "__main__":
    main()
