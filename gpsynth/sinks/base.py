"""The shape every output format answers to.

A dataset is written in parts: consecutive shards (practices) written together by one process,
into files of their own (see gpsynth.parts). Each format gives a writer per part, which takes that
part's shards in order and says what it wrote, then a finishing step in the one process that sees
every part's summary: the NDJSON manifest, the Parquet metadata tables, the DuckDB store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..parts import Part
from ..records import Shard

if TYPE_CHECKING:
    from ..store.rows import ShardRows


@dataclass(frozen=True)
class DatasetInfo:
    scenario_name: str
    rules_yaml: str
    seed: int
    as_of: date
    last_updated: str
    version: str


@dataclass(frozen=True)
class ShardOutput:
    """One shard on its way to the writers: always its rendered JSON; store rows or records on request."""

    number: int                             # 0 for the consumer organisations, then 1, 2, ... per practice
    practice_ods: str                       # 'consumers' for shard 0
    rendered: dict[str, pa.Array]           # resource type -> compact JSON per resource (strings), in output order
    rows: ShardRows | None = None           # typed store rows, made where the shard was generated
    records: Shard | None = None            # the records themselves (only when generated in this process)


@dataclass(frozen=True)
class WrittenFile:
    kind: str          # the resource type, or the table, whose rows it holds
    name: str          # relative to the dataset root, '/'-separated
    count: int         # resources (rows) in it


@dataclass(frozen=True)
class PartResult:
    """What one format wrote for one part: small, as it travels back from the worker."""

    counts: dict[str, int]                                     # resources written, by type
    files: tuple[WrittenFile, ...] = field(default=())          # what the finishing step needs to know


class PartWriter(Protocol):
    def write(self, output: ShardOutput) -> None:
        """Add one shard of the part, in output order."""

    def close(self) -> PartResult:
        """Finish the part's files."""


class Format(Protocol):
    name: str
    # What the writers read besides the rendered JSON: "rows" (store rows) and/or "records".
    needs: frozenset[str]

    def part_writer(self, destination: Destination, part: Part) -> PartWriter:
        """A writer for one part's files; runs wherever the part is generated."""

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]]) -> dict[str, int]:
        """Complete the output once every part is written (`shards`: every shard's number and practice, in
        order); return resources written by type."""


class Sink(Protocol):
    """An in-process observer of every shard (tests keep datasets in memory this way)."""

    needs: frozenset[str]

    def write(self, output: ShardOutput) -> None: ...

    def close(self) -> dict[str, int]: ...


def added_counts(results: list[PartResult]) -> dict[str, int]:
    """Resources by type over every part, in dependency order."""
    totals = {t: sum(r.counts.get(t, 0) for r in results) for t in RESOURCE_TYPES}
    return {t: n for t, n in totals.items() if n}
