"""FHIR Bulk Data layout: NDJSON files per resource type and part, split past a size limit, and a manifest.

A part's files are `Slot.00003.ndjson`, `Slot.00003.2.ndjson` past the limit; a dataset of one part
has `Slot.ndjson`, `Slot.2.ndjson`. The manifest lists every file, by type in dependency order, then
by part: the order to read them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import IO

import numpy as np
import orjson

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..fhir.text import ended, lengths
from ..parts import DATASET_FORMAT, Part
from ..info import DatasetInfo
from .base import AfterAllParts, PartResult, ShardOutput, WrittenFile

DEFAULT_MAX_FILE_BYTES = 1 << 30


def file_name(resource_type: str, part: Part, piece: int) -> str:
    return (resource_type + ("" if part.single else f".{part.number:05d}") + ("" if piece == 1 else f".{piece}")
            + ".ndjson")


class NdjsonPart:
    """One part's NDJSON files: a file per type, a new piece once the current one would pass the limit."""

    def __init__(self, destination: Destination, part: Part, max_file_bytes: int):
        self.destination, self.part, self.max_file_bytes = destination, part, max_file_bytes
        self.files: dict[str, list[list]] = {}        # type -> [name, count] per piece
        self.handles: dict[str, IO[bytes]] = {}
        self.sizes: dict[str, int] = {}

    def _handle(self, resource_type: str, incoming: int) -> tuple[IO[bytes], list]:
        pieces = self.files.setdefault(resource_type, [])
        if pieces and self.sizes[resource_type] + incoming > self.max_file_bytes and pieces[-1][1]:
            self.handles.pop(resource_type).close()
        if resource_type not in self.handles:
            name = file_name(resource_type, self.part, len(pieces) + 1)
            self.handles[resource_type] = self.destination.open(f"ndjson/{name}")
            pieces.append([name, 0])
            self.sizes[resource_type] = 0
        return self.handles[resource_type], pieces[-1]

    def write(self, output: ShardOutput) -> None:
        for resource_type, texts in output.rendered.items():
            # Each line's end offset within this shard's lines of the type, newline included.
            ends = np.cumsum(lengths(texts) + 1)
            start = 0
            while start < len(texts):
                before = int(ends[start - 1]) if start else 0
                handle, piece = self._handle(resource_type, int(ends[start]) - before)
                # Fill the current file up to the limit (at least one line per file).
                room = self.max_file_bytes - self.sizes[resource_type]
                stop = max(start + 1, int(np.searchsorted(ends, before + room, side="right")))
                handle.write(ended(texts.slice(start, stop - start), "\n"))
                piece[1] += stop - start
                self.sizes[resource_type] += int(ends[stop - 1]) - before
                start = stop

    def close(self) -> PartResult:
        for handle in self.handles.values():
            handle.close()
        files = tuple(WrittenFile(t, f"ndjson/{name}", count) for t in RESOURCE_TYPES for name, count in self.files.get(t, ()))
        return PartResult(files)


@dataclass(frozen=True)
class NdjsonFormat:
    info: DatasetInfo
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    name = "ndjson"
    needs = frozenset[str]()

    def part_writer(self, destination: Destination, part: Part) -> NdjsonPart:
        return NdjsonPart(destination, part, self.max_file_bytes)

    def finisher(self, destination: Destination) -> AfterAllParts:
        return AfterAllParts(partial(self.finish, destination))

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]],
               counts: dict[str, int]) -> None:
        files = [f for result in results for f in result.files]
        output = [{"type": f.kind, "url": f.name.removeprefix("ndjson/"), "count": f.count}
                  for t in RESOURCE_TYPES for f in files if f.kind == t]
        info = self.info
        manifest = {
            "transactionTime": info.last_updated,
            "request": f"gpsynth generate --scenario {info.scenario_name} --seed {info.seed} --as-of {info.as_of}",
            "requiresAccessToken": False,
            "output": output,
            "error": [],
            "extension": {"gpsynth": {"version": info.version, "datasetFormat": DATASET_FORMAT,
                                      "scenario": info.scenario_name, "seed": info.seed, "asOf": info.as_of.isoformat()}},
        }
        with destination.open("ndjson/manifest.json") as handle:
            handle.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
