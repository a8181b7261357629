"""What every sink is given, and the shape it answers to: one folder, shards in order, then close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from ..records import Shard


@dataclass(frozen=True)
class DatasetInfo:
    scenario_name: str
    rules_yaml: str
    seed: int
    as_of: date
    last_updated: str
    version: str


class Sink(Protocol):
    needs_records: bool  # False when the rendered JSON is all the sink reads

    def write(self, shard: Shard, rendered: dict[str, list[bytes]]) -> None:
        """Add one shard: its records and their rendered JSON, by resource type."""

    def close(self) -> dict[str, int]:
        """Finish the output; return resources written by type."""


def sink_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
