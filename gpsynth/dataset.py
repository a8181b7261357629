"""Generate a dataset: plan, generate and render shards, and feed them to the chosen sinks."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from collections.abc import Callable, Sequence

from . import __version__
from .errors import GpsynthError
from .executor import map_in_order
from .fhir import last_updated_for, render_shard
from .generate import consumer_shard, practice_shard
from .output import output_folder
from .plan import Plan, PracticePlan, make_plan
from .records import Shard
from .scenario import Scenario
from .sinks.base import DatasetInfo, ShardOutput, Sink
from .sinks.duckdb import DuckdbSink
from .sinks.json_bundles import BUNDLE_KINDS, DEFAULT_BUNDLE_SIZE, JsonBundleSink
from .sinks.ndjson import DEFAULT_MAX_FILE_BYTES, NdjsonSink
from .sinks.parquet import ParquetSink
from .store.rows import shard_rows

FORMATS = ("json", "ndjson", "duckdb", "parquet")


@dataclass(frozen=True)
class OutputOptions:
    formats: tuple[str, ...] = ("ndjson",)
    bundle_kind: str = "collection"
    bundle_size: int = DEFAULT_BUNDLE_SIZE
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    def __post_init__(self):
        for name in self.formats:
            if name not in FORMATS:
                raise GpsynthError(f"unknown format {name!r}; allowed: {', '.join(FORMATS)}")
        if not self.formats:
            raise GpsynthError(f"choose at least one format: {', '.join(FORMATS)}")
        if self.bundle_kind not in BUNDLE_KINDS:
            raise GpsynthError(f"unknown bundle kind {self.bundle_kind!r}; allowed: {', '.join(BUNDLE_KINDS)}")
        if self.bundle_size < 1:
            raise GpsynthError(f"--bundle-size must be at least 1, got {self.bundle_size}")


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    shards: int = 0


def dataset_info(plan: Plan) -> DatasetInfo:
    return DatasetInfo(plan.scenario.name, plan.scenario.rules_yaml, plan.seed, plan.as_of,
                       last_updated_for(plan.as_of), __version__)


def make_sinks(folder: Path, info: DatasetInfo, options: OutputOptions) -> list[Sink]:
    sinks: list[Sink] = []
    if "json" in options.formats:
        sinks.append(JsonBundleSink(folder, info, options.bundle_kind, options.bundle_size))
    if "ndjson" in options.formats:
        sinks.append(NdjsonSink(folder, info, options.max_file_bytes))
    if "duckdb" in options.formats:
        sinks.append(DuckdbSink(folder, info))
    if "parquet" in options.formats:
        sinks.append(ParquetSink(folder, info, options.max_file_bytes))
    return sinks


def shard_output(number: int, shard: Shard, last_updated: str, needs: frozenset[str]) -> ShardOutput:
    """A shard rendered, with what the sinks need besides the JSON.

    Store rows are columnar and cross process boundaries cheaply, so they are made here, where the
    shard was generated; records are passed on only when asked for, as pickling them costs more
    than generating them."""
    rendered = render_shard(shard, last_updated)
    rows = shard_rows(number, shard, rendered, last_updated) if "rows" in needs else None
    return ShardOutput(number, shard.practice_ods, rendered, rows, shard if "records" in needs else None)


def render_practice(plan: Plan, needs: frozenset[str], practice: PracticePlan) -> ShardOutput:
    return shard_output(practice.index + 1, practice_shard(plan, practice), last_updated_for(plan.as_of), needs)


def rendered_shards(plan: Plan, workers: int = 1, needs: frozenset[str] = frozenset(), dask_address: str | None = None):
    """The consumer organisations (shard 0), then every practice, in plan order."""
    yield shard_output(0, consumer_shard(plan), last_updated_for(plan.as_of), needs)
    # Each task carries the rules but not the list of every practice, which grows with the dataset.
    rules = replace(plan, practices=())
    yield from map_in_order(partial(render_practice, rules, needs), plan.practices, workers, dask_address)


def generate(scenario: Scenario, seed: int, as_of: date, out: Path | str, *, options: OutputOptions = OutputOptions(),
             workers: int = 1, overwrite: bool = False, on_shard: Callable[[int, int], None] | None = None,
             dask_address: str | None = None, extra_sinks: Sequence = ()) -> Summary:
    """Write the dataset to `out` (a folder or an fsspec URL) atomically; `on_shard(done, total)` reports progress.

    Practices are generated on `workers` local processes, or on the Dask cluster at `dask_address`.
    `extra_sinks` receive the shards too, beside the sinks of the chosen formats. `overwrite` replaces a
    folder gpsynth wrote before.

    >>> summary = generate(load_scenario("demo"), 1, date(2026, 11, 25), "demo/",
    ...                    options=OutputOptions(("ndjson", "duckdb")))      # doctest: +SKIP
    >>> summary.counts["Slot"]                                             # doctest: +SKIP
    3424
    """
    started = time.perf_counter()
    plan = make_plan(scenario, seed, as_of)
    summary = Summary()
    with output_folder(out, overwrite) as folder:
        sinks = make_sinks(folder, dataset_info(plan), options) + list(extra_sinks)
        total = len(plan.practices) + 1
        needs = frozenset().union(*(sink.needs for sink in sinks))
        for output in rendered_shards(plan, workers, needs, dask_address):
            for sink in sinks:
                sink.write(output)
            summary.shards += 1
            if on_shard:
                on_shard(summary.shards, total)
        for sink in sinks:
            summary.counts = Counter(sink.close())
        (folder / "scenario.yaml").write_text(scenario.rules_yaml, encoding="utf-8")
    summary.seconds = time.perf_counter() - started
    return summary


def default_workers() -> int:
    return os.cpu_count() or 1
