"""A dataset written part by part through the chosen formats, then finished in one place.

`write_part` runs where a part's shards are generated (in this process, a local worker or a Dask
worker) and returns a PartSummary: names and counts only, a few hundred bytes a part. `finish`
runs once, in the calling process, with every part's summary in part order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..destination import Destination
from ..parts import Part
from .base import Format, PartResult, ShardOutput, Sink


@dataclass(frozen=True)
class PartSummary:
    part: int
    shards: tuple[tuple[int, str], ...]         # each shard's number and practice ODS code, in order
    results: tuple[PartResult, ...]             # one per format, in the order the formats were given


def needs_of(formats: Sequence[Format], observers: Sequence[Sink] = ()) -> frozenset[str]:
    return frozenset().union(*(f.needs for f in formats), *(o.needs for o in observers))


def write_part(formats: Sequence[Format], destination: Destination, part: Part, outputs: Iterable[ShardOutput],
               observers: Sequence[Sink] = ()) -> PartSummary:
    """Feed one part's shards, in order, to a writer per format (and to any in-process observers)."""
    writers = [f.part_writer(destination, part) for f in formats]
    shards = []
    for output in outputs:
        for writer in (*writers, *observers):
            writer.write(output)
        shards.append((output.number, output.practice_ods))
    return PartSummary(part.number, tuple(shards), tuple(w.close() for w in writers))


def finish(formats: Sequence[Format], destination: Destination, summaries: list[PartSummary]) -> dict[str, int]:
    """Complete every format; return resources written by type (the same for every format)."""
    shards = [shard for summary in summaries for shard in summary.shards]
    counts = {}
    for n, found in enumerate(formats):
        counts = found.finish(destination, [summary.results[n] for summary in summaries], shards)
    return counts
