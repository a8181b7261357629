"""National scale: the england-1pct preset (and, on request, england) on 1 and N workers.

    python benchmarks/scale_bench.py [--workers 2] [--formats ndjson,parquet] [--full]

Each run is a `gpsynth generate` child process, so the peak resident memory is the child's own.
Prints resources/s, shards/s and peak RSS per run, the same run at twice the practices (memory must
not grow with the number of practices), and the time projected for the full england preset from
england-1pct (target on 2 cores: under 15 minutes to Parquet, peak RSS under 2 GB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson
import yaml

from gpsynth.plan import make_plan
from gpsynth.scenario import load_scenario, preset_text

AS_OF = "2026-11-25"


# A fresh parent per run, so the peak it reports belongs to this run's processes alone.
MEASURE = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def run(scenario: str, workers: int, fmt: str, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB, the largest single process) of one generate run."""
    started = time.perf_counter()
    measured = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "gpsynth", "generate",
                               "--scenario", scenario, "--as-of", AS_OF, "--workers", str(workers),
                               "--format", fmt, "--out", str(out)], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, int(measured.stdout.split()[-1]) / 1024


def resource_count(out: Path) -> int:
    manifest = out / "ndjson" / "manifest.json"
    if manifest.is_file():
        return sum(entry["count"] for entry in orjson.loads(manifest.read_bytes())["output"])
    return 0


def doubled(folder: Path) -> str:
    """england-1pct with twice the practices, as a scenario file."""
    rules = yaml.safe_load(preset_text("england-1pct"))
    rules["practices"]["count"] *= 2
    rules["name"] = "england-2pct"
    path = folder / "england-2pct.yaml"
    path.write_text(yaml.safe_dump(rules))
    return str(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--formats", default="ndjson", help="comma-separated formats to time, e.g. ndjson,parquet")
    parser.add_argument("--full", action="store_true", help="also run the full england preset (hours of CPU, tens of GB)")
    args = parser.parse_args()
    sample = make_plan(load_scenario("england-1pct"), 1, date.fromisoformat(AS_OF))
    full = make_plan(load_scenario("england"), 1, date.fromisoformat(AS_OF))
    # The full preset's work is proportional to its patients and practices; scale by patients.
    scale = sum(p.list_size for p in full.practices) / sum(p.list_size for p in sample.practices)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'run':36}{'seconds':>9}{'resources/s':>13}{'shards/s':>10}{'peak RSS MB':>13}")
        for fmt in args.formats.split(","):
            for workers in sorted({1, args.workers}):
                out = folder / f"{fmt}-{workers}"
                seconds, peak = run("england-1pct", workers, fmt, out)
                count = resource_count(folder / f"ndjson-{workers}") or resource_count(out)
                print(f"{'england-1pct ' + fmt + f' x{workers}':36}{seconds:>9.1f}{count / seconds:>13,.0f}"
                      f"{len(sample.practices) / seconds:>10.1f}{peak:>13.0f}")
                if workers == args.workers:
                    print(f"  projected full england ({len(full.practices):,} practices, x{scale:.0f}): "
                          f"{seconds * scale / 60:.0f} min on {workers} workers")
            seconds, peak = run(doubled(folder), args.workers, fmt, folder / f"{fmt}-double")
            print(f"{'england-2pct ' + fmt + f' x{args.workers}':36}{seconds:>9.1f}{'':>13}"
                  f"{2 * len(sample.practices) / seconds:>10.1f}{peak:>13.0f}  (memory must not grow)")
            if args.full:
                seconds, peak = run("england", args.workers, fmt, folder / f"{fmt}-england")
                print(f"{'england ' + fmt + f' x{args.workers}':36}{seconds:>9.1f}{'':>13}"
                      f"{len(full.practices) / seconds:>10.1f}{peak:>13.0f}")


if __name__ == "__main__":
    main()
