"""Bundle sizes that fit the server: start large, learn the server's limit from whole-Bundle refusals.

A server refuses a whole Bundle for its size or number of operations (HAPI's maximum bundle size,
Medplum's 50 updates per transaction, a proxy's body limit answering 413). When a refused Bundle's
pieces are each accepted, the Bundle was too big: the limit lies between the largest Bundle accepted
and the smallest one refused, and the next Bundles narrow it down by bisection. A refusal whose pieces
fail too points at an entry, not at the size, and teaches nothing.
"""

from __future__ import annotations

AUTO_START = 1000  # entries in the first Bundles of `--bundle-size auto`


class BundleSizer:
    """The number of entries to put in the next Bundle, shared by every sender of a load."""

    def __init__(self, start: int):
        self.size = start
        self.accepted_most = 0            # the largest Bundle the server accepted whole
        self.refused_least: int | None = None  # the smallest Bundle refused for its size
        self.settled: int | None = None   # the limit, once bisection has found it

    def accepted(self, entries: int) -> None:
        self.accepted_most = max(self.accepted_most, entries)
        self._narrow()

    def too_big(self, entries: int) -> None:
        """A Bundle of `entries` was refused whole, and its pieces were then each accepted."""
        self.refused_least = entries if self.refused_least is None else min(self.refused_least, entries)
        self._narrow()

    def pieces(self, entries: int) -> int:
        """How many entries each piece of a refused Bundle of `entries` gets: the size being tried next when a
        limit is known and it is smaller (so one refused Bundle carries the bisection on), else halves."""
        if self.refused_least is not None and self.size < entries:
            return self.size
        return -(-entries // 2)

    def _narrow(self) -> None:
        if self.refused_least is None:
            return
        largest_possible = self.refused_least - 1
        if self.accepted_most >= largest_possible:
            self.size = self.settled = max(1, largest_possible)
        else:
            self.size = max(1, (self.accepted_most + largest_possible + 1) // 2)
