"""A dataset written part by part through the chosen formats, then finished in one place.

`write_part` runs where a part's shards are generated (in this process, a local worker or a Dask
worker) and returns a PartSummary: names and counts only, a few hundred bytes a part. `Finishing`
runs in the calling process: it takes each part's summary as the part is done, in part order, and
completes the dataset once every part is in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from collections.abc import Iterable, Sequence

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..parts import Part
from .base import Finisher, Format, PartResult, PartWriter, ShardOutput, Sink


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


class Finishing:
    """Every format's finishing step, in the calling process: each part's summary as the part is done, in
    part order, then the dataset. Use it as a context manager, so a failed run lets go of what it holds."""

    def __init__(self, formats: Sequence[Format], destination: Destination):
        self.finishers: list[Finisher] = []
        try:
            for found in formats:
                self.finishers.append(found.finisher(destination))
        except BaseException:
            self.close()
            raise
        self.summaries: list[PartSummary] = []

    def __enter__(self) -> Finishing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, summary: PartSummary) -> None:
        self.summaries.append(summary)
        for finisher, result in zip(self.finishers, summary.results, strict=True):
            finisher.add(result)

    def finish(self) -> dict[str, int]:
        """Complete every format; return the run's resources by type, in dependency order (every format
        writes the same resources)."""
        shards = [shard for summary in self.summaries for shard in summary.shards]
        totals = {t: sum(summary.counts.get(t, 0) for summary in self.summaries) for t in RESOURCE_TYPES}
        counts = {t: n for t, n in totals.items() if n}
        for finisher in self.finishers:
            finisher.finish(shards, counts)
        return counts

    def close(self) -> None:
        for finisher in self.finishers:
            finisher.close()
