"""Generate a dataset: plan it in parts, generate and write each part where it runs, then finish the formats."""

from __future__ import annotations

import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from collections.abc import Callable, Iterator, Sequence

from . import __version__
from .destination import Destination
from .errors import GpsynthError
from .executor import map_in_order
from .fhir import last_updated_for, render_shard
from .generate import consumer_shard, practice_shard
from .output import output_folder, shared_folder
from .parts import Part, part_of
from .plan import Plan, PracticePlan, make_plan
from .records import Shard
from .scenario import Scenario
from .info import DatasetInfo
from .sinks.base import Format, ShardOutput, Sink
from .sinks.duckdb import DuckdbFormat
from .sinks.json_bundles import BUNDLE_KINDS, DEFAULT_BUNDLE_SIZE, JsonBundleFormat
from .sinks.ndjson import DEFAULT_MAX_FILE_BYTES, NdjsonFormat
from .sinks.parquet import ParquetFormat
from .sinks.writing import Finishing, PartSummary, needs_of, write_part
from .store.rows import shard_rows

FORMATS = ("json", "ndjson", "duckdb", "parquet")


@dataclass(frozen=True)
class OutputOptions:
    formats: tuple[str, ...] = ("ndjson",)
    bundle_kind: str = "collection"
    bundle_size: int = DEFAULT_BUNDLE_SIZE
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    def __post_init__(self) -> None:
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
    parts: list[PartSummary] = field(default_factory=list)     # what each part's writer reported, in order


def dataset_info(plan: Plan) -> DatasetInfo:
    return DatasetInfo(plan.scenario.name, plan.scenario.rules_yaml, plan.seed, plan.as_of,
                       last_updated_for(plan.as_of), __version__)


def make_formats(info: DatasetInfo, options: OutputOptions) -> tuple[Format, ...]:
    formats: list[Format] = []
    if "json" in options.formats:
        formats.append(JsonBundleFormat(info, options.bundle_kind, options.bundle_size))
    if "ndjson" in options.formats:
        formats.append(NdjsonFormat(info, options.max_file_bytes))
    if "duckdb" in options.formats:
        formats.append(DuckdbFormat(info))
    if "parquet" in options.formats:
        formats.append(ParquetFormat(info, options.max_file_bytes))
    return tuple(formats)


def shard_output(number: int, shard: Shard, last_updated: str, needs: frozenset[str]) -> ShardOutput:
    """A shard rendered, with what the writers need besides the JSON.

    Store rows are made here, where the shard was generated, for the part writers beside it;
    records are passed on only when an in-process observer asks for them."""
    rendered = render_shard(shard, last_updated)
    rows = shard_rows(number, shard, rendered, last_updated) if "rows" in needs else None
    return ShardOutput(number, shard.practice_ods, rendered, rows, shard if "records" in needs else None)


@dataclass(frozen=True)
class PlanPart:
    """One part of a plan: the practices it holds (and, for part 1, the consumer organisations ahead of them)."""

    part: Part
    practices: tuple[PracticePlan, ...]


def plan_parts(plan: Plan) -> list[PlanPart]:
    total = part_of(len(plan.practices))
    groups: list[list[PracticePlan]] = [[] for _ in range(total)]
    for practice in plan.practices:
        groups[part_of(practice.index + 1) - 1].append(practice)
    return [PlanPart(Part(n + 1, total), tuple(group)) for n, group in enumerate(groups)]


def render_practice(rules: Plan, needs: frozenset[str], practice: PracticePlan) -> ShardOutput:
    return shard_output(practice.index + 1, practice_shard(rules, practice), last_updated_for(rules.as_of), needs)


def part_outputs(rules: Plan, needs: frozenset[str], planned: PlanPart, workers: int = 1) -> Iterator[ShardOutput]:
    """The part's shards generated and rendered in output order, here or on `workers` local processes."""
    if planned.part.number == 1:
        yield shard_output(0, consumer_shard(rules), last_updated_for(rules.as_of), needs)
    yield from map_in_order(partial(render_practice, rules, needs), planned.practices, workers)


def generate_part(rules: Plan, formats: tuple[Format, ...], destination: Destination, planned: PlanPart,
                  observers: Sequence[Sink] = ()) -> PartSummary:
    """Generate one part and write its files: the task each worker runs."""
    outputs = part_outputs(rules, needs_of(formats, observers), planned)
    return write_part(formats, destination, planned.part, outputs, observers)


@contextmanager
def dataset_folder(out: Path | str, overwrite: bool, shared: bool) -> Iterator[Destination]:
    """Where the parts are written: staged locally, or where every worker of a cluster can write."""
    if shared:
        with shared_folder(out, overwrite) as destination:
            yield destination
    else:
        with output_folder(out, overwrite) as folder:
            yield Destination.local(folder)


def generate(scenario: Scenario, seed: int, as_of: date, out: Path | str, *, options: OutputOptions = OutputOptions(),
             workers: int = 1, overwrite: bool = False, on_shard: Callable[[int, int], None] | None = None,
             dask_address: str | None = None, extra_sinks: Sequence[Sink] = ()) -> Summary:
    """Write the dataset to `out` (a folder or an fsspec URL) atomically; `on_shard(done, total)` reports progress.

    Parts of the dataset are generated and written on `workers` local processes, or on the Dask cluster
    at `dask_address` (whose workers write to `out` themselves: a URL, or a path on a shared filesystem).
    `extra_sinks` receive every shard too, in this process (so only with one worker). `overwrite`
    replaces a folder gpsynth wrote before.

    >>> summary = generate(load_scenario("demo"), 1, date(2026, 11, 25), "demo/",
    ...                    options=OutputOptions(("ndjson", "duckdb")))      # doctest: +SKIP
    >>> summary.counts["Slot"]                                             # doctest: +SKIP
    3424
    """
    if extra_sinks and (workers > 1 or dask_address):
        raise GpsynthError("extra sinks receive shards in this process: use one worker and no Dask cluster")
    started = time.perf_counter()
    plan = make_plan(scenario, seed, as_of)
    formats = make_formats(dataset_info(plan), options)
    summary = Summary()
    total = len(plan.practices) + 1
    with dataset_folder(out, overwrite, shared=dask_address is not None) as destination:
        # Each task carries the rules but not the list of every practice, which grows with the dataset.
        rules, parts = replace(plan, practices=()), plan_parts(plan)
        if dask_address or len(parts) >= 2 * workers:
            # Enough parts to keep every worker busy: each worker generates whole parts and writes their files.
            done = map_in_order(partial(generate_part, rules, formats, destination, observers=tuple(extra_sinks)),
                                parts, workers, dask_address)
        else:
            # Too few: the workers generate shards, and this process writes each part as its shards arrive.
            needs = needs_of(formats, extra_sinks)
            done = (write_part(formats, destination, planned.part, part_outputs(rules, needs, planned, workers), extra_sinks)
                    for planned in parts)
        with Finishing(formats, destination) as finishing:
            for part in done:
                finishing.add(part)
                summary.parts.append(part)
                summary.shards += len(part.shards)
                if on_shard:
                    on_shard(summary.shards, total)
            summary.counts = Counter(finishing.finish())
        for sink in extra_sinks:
            sink.close()
        with destination.open("scenario.yaml") as handle:
            handle.write(scenario.rules_yaml.encode("utf-8"))
    summary.seconds = time.perf_counter() - started
    return summary


def default_workers() -> int:
    return os.cpu_count() or 1
