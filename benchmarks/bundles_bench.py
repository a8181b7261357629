"""Reading a json/ folder of Bundles a type at a time (what `gpsynth load` does), against a baseline measured
in the same process.

The baseline is what a competent user would write without gpsynth: parse every Bundle file once with orjson,
group the entries' resources by type in memory, serialise each. gpsynth parses each Bundle once too, but
spools each type's resources to a temporary file rather than holding the dataset in memory.

    python benchmarks/bundles_bench.py [--scenario pcn] [--repeat 3]

Prints resources/s for both (best of --repeat runs), the ratio, each one's peak extra memory, and the load average.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson

from gpsynth.dataset import OutputOptions, generate
from gpsynth.renditions import open_rendition
from gpsynth.scenario import load_scenario

AS_OF = date(2026, 12, 3)


def gpsynth_read(folder: Path) -> int:
    rendition = open_rendition(folder)
    return sum(sum(1 for _ in rendition.resources(t)) for t in rendition.counts())


def baseline_read(folder: Path) -> int:
    by_type: dict[str, list[bytes]] = defaultdict(list)
    for path in sorted(folder.glob("*.json")):
        for entry in orjson.loads(path.read_bytes()).get("entry", ()):
            by_type[entry["resource"]["resourceType"]].append(orjson.dumps(entry["resource"]))
    return sum(len(resources) for resources in by_type.values())


def measure(repeat: int, read: Callable[[Path], int], folder: Path) -> tuple[int, float, int]:
    """(resources, best seconds, peak bytes allocated by Python while reading)."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = read(folder)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    read(folder)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="pcn")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        generate(load_scenario(args.scenario), 7, AS_OF, out, options=OutputOptions(("json",)), workers=1)
        folder = out / "json"
        size = sum(p.stat().st_size for p in folder.glob("*.json"))
        print(f"{args.scenario}: {size / 1e6:.0f} MB of Bundles; load average {os.getloadavg()[0]:.1f}")
        ours, theirs = measure(args.repeat, gpsynth_read, folder), measure(args.repeat, baseline_read, folder)
    assert ours[0] == theirs[0], (ours[0], theirs[0])
    for name, (count, seconds, peak) in (("gpsynth (spooled by type)", ours), ("baseline (grouped in memory)", theirs)):
        print(f"{name:30} {count / seconds:10,.0f} resources/s  ({count:,} in {seconds:.2f} s), peak {peak / 1e6:,.0f} MB")
    print(f"speed ratio gpsynth/baseline: {theirs[1] / ours[1]:.2f}; memory ratio: {ours[2] / theirs[2]:.2f}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
