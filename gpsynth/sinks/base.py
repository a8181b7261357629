"""The shape every output format answers to.

A dataset is written in parts: consecutive shards (practices) written together by one process,
into files of their own (see gpsynth.parts). Each format gives a writer per part, which takes that
part's shards in order and says what it wrote, then a finishing step in the one process that sees
every part's result as it is done: the NDJSON manifest, the Parquet metadata tables, the DuckDB store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from ..destination import Destination
from ..parts import Part
from ..records import Shard
from ..store.rows import ShardRows


@dataclass(frozen=True)
class ShardOutput:
    """One shard on its way to the writers: always its rendered JSON; store rows or records on request."""

    number: int                             # 0 for the consumer organisations, then 1, 2, ... per practice
    practice_ods: str                       # 'consumers' for shard 0
    rendered: dict[str, pa.Array]           # resource type -> compact JSON per resource (strings), in output order
    rows: ShardRows | None = None           # typed store rows, made where the shard was generated
    records: Shard | None = None            # the records themselves (only when generated in this process)

    @property
    def store_rows(self) -> ShardRows:
        """The typed store rows, for a format whose `needs` name "rows"."""
        if self.rows is None:
            raise ValueError(f"shard {self.number}: no store rows were made; a format that reads them needs 'rows'")
        return self.rows

    @property
    def shard_records(self) -> Shard:
        """The records, for an observer whose `needs` name "records"."""
        if self.records is None:
            raise ValueError(f"shard {self.number}: its records were not kept; an observer that reads them needs 'records'")
        return self.records


@dataclass(frozen=True)
class WrittenFile:
    kind: str          # the resource type, or the table, whose rows it holds
    name: str          # relative to the dataset root, '/'-separated
    count: int         # resources (rows) in it


@dataclass(frozen=True)
class PartResult:
    """What one format wrote for one part (what its finishing step needs): small, as it travels back."""

    files: tuple[WrittenFile, ...] = ()


class PartWriter(Protocol):
    def write(self, output: ShardOutput) -> None:
        """Add one shard of the part, in output order."""

    def close(self) -> PartResult:
        """Finish the part's files."""


class Finisher(Protocol):
    """A format's finishing step, in the one process that sees every part: each part's result as the part
    is done, in part order, then the dataset's shards and counts."""

    def add(self, result: PartResult) -> None:
        """Take one part's result."""

    def finish(self, shards: list[tuple[int, str]], counts: dict[str, int]) -> None:
        """Complete the output (`shards`: every shard's number and practice, in order; `counts`: the dataset's
        resources by type)."""

    def close(self) -> None:
        """Let go of anything held; after `finish`, or instead of it when the run failed."""


@dataclass
class AfterAllParts:
    """The finisher of a format that completes its output from every part's result at once."""

    complete: Callable[[list[PartResult], list[tuple[int, str]], dict[str, int]], None]
    results: list[PartResult] = field(default_factory=list)

    def add(self, result: PartResult) -> None:
        self.results.append(result)

    def finish(self, shards: list[tuple[int, str]], counts: dict[str, int]) -> None:
        self.complete(self.results, shards, counts)

    def close(self) -> None:
        pass


class Format(Protocol):
    name: str
    # What the writers read besides the rendered JSON: "rows" (store rows) and/or "records".
    needs: frozenset[str]

    def part_writer(self, destination: Destination, part: Part) -> PartWriter:
        """A writer for one part's files; runs wherever the part is generated."""

    def finisher(self, destination: Destination) -> Finisher:
        """The finishing step; runs in the calling process."""


class Sink(Protocol):
    """An in-process observer of every shard (tests keep datasets in memory this way)."""

    needs: frozenset[str]

    def write(self, output: ShardOutput) -> None: ...

    def close(self) -> dict[str, int]: ...
