"""Parts: consecutive shards written together, by one process, into files of their own.

Part 1 holds the consumer organisations (shard 0) and the first practices; each later part the next
practices. Which part a shard belongs to depends on its number alone, so the files are the same
whichever process (or machine) writes each part, and whether a dataset is generated or exported.
A dataset of one part keeps the plain file names (`Slot.ndjson`); a larger one numbers its files
by part (`Slot.00003.ndjson`).
"""

from __future__ import annotations

from dataclasses import dataclass

PRACTICES_PER_PART = 8
# 2: files numbered by part once a dataset has more than one part;
# 3: slots and bookings drawn a schedule at a time (the same rules, other draws for a given seed)
DATASET_FORMAT = 3


@dataclass(frozen=True)
class Part:
    number: int        # 1, 2, ...
    total: int         # parts in the dataset

    @property
    def single(self) -> bool:
        return self.total == 1


def part_of(shard: int) -> int:
    """The part shard `shard` is written in."""
    return max(1, -(-shard // PRACTICES_PER_PART))
