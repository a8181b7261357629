"""What every sink is given, and the shape it answers to: one folder, shards in order, then close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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
    """One shard on its way to the sinks: always its rendered JSON; store rows or records on request."""

    number: int                             # 0 for the consumer organisations, then 1, 2, ... per practice
    practice_ods: str                       # 'consumers' for shard 0
    rendered: dict[str, list[bytes]]        # resource type -> compact JSON per resource, in output order
    rows: ShardRows | None = None           # typed store rows, made where the shard was generated
    records: Shard | None = None            # the records themselves (only when generated in this process)


class Sink(Protocol):
    # What the sink reads besides the rendered JSON: "rows" (store rows) and/or "records".
    # Rows are made in the worker that generated the shard; records never leave that process cheaply.
    needs: frozenset[str]

    def write(self, output: ShardOutput) -> None:
        """Add one shard, in output order."""

    def close(self) -> dict[str, int]:
        """Finish the output; return resources written by type."""


def sink_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
