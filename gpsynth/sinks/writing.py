"""A dataset written part by part through the chosen formats, then finished in one place.

`write_part` runs where a part's shards are generated (in this process, a local worker or a Dask
worker) and returns a PartSummary: names and counts only, a few hundred bytes a part. `finish`
runs once, in the calling process, with every part's summary in part order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from collections.abc import Iterable, Sequence

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..parts import Part
from .base import Format, PartResult, PartWriter, ShardOutput, Sink


@dataclass(frozen=True)
class PartSummary:
    part: int
    shards: tuple[tuple[int, str], ...]         # each shard's number and practice ODS code, in order
    counts: dict[str, int]                      # resources by type
    results: tuple[PartResult, ...]             # one per format, in the order the formats were given


def needs_of(formats: Sequence[Format], observers: Sequence[Sink] = ()) -> frozenset[str]:
    return frozenset().union(*(f.needs for f in formats), *(o.needs for o in observers))


def write_part(formats: Sequence[Format], destination: Destination, part: Part, outputs: Iterable[ShardOutput],
               observers: Sequence[Sink] = ()) -> PartSummary:
    """Feed one part's shards, in order, to a writer per format (and to any in-process observers)."""
    writers = [f.part_writer(destination, part) for f in formats]
    targets: list[PartWriter | Sink] = [*writers, *observers]
    shards: list[tuple[int, str]] = []
    counts: Counter[str] = Counter()
    for output in outputs:
        for target in targets:
            target.write(output)
        shards.append((output.number, output.practice_ods))
        counts.update({t: len(rendered) for t, rendered in output.rendered.items()})
    return PartSummary(part.number, tuple(shards), dict(counts), tuple(w.close() for w in writers))


def finish(formats: Sequence[Format], destination: Destination, summaries: list[PartSummary]) -> dict[str, int]:
    """Complete every format; return the run's resources by type, in dependency order (every format
    writes the same resources)."""
    shards = [shard for summary in summaries for shard in summary.shards]
    totals = {t: sum(summary.counts.get(t, 0) for summary in summaries) for t in RESOURCE_TYPES}
    counts = {t: n for t, n in totals.items() if n}
    for n, found in enumerate(formats):
        found.finish(destination, [summary.results[n] for summary in summaries], shards, counts)
    return counts
