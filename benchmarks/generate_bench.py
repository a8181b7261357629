"""Generation speed and memory, against a naive baseline measured in the same process.

The naive baseline is what a team would write first: Faker per patient, and every resource built,
validated and serialised one by one through fhir.resources STU3 models.

    python benchmarks/generate_bench.py [--practices 5] [--workers 2]

Prints, on the pcn rules:
- resources/s by type to Parquet and to NDJSON (rules, rendering, store rows and the file writer), on
  one core and on two processes at once (targets on 2 cores: Slots and Patients at least 1,000,000/s
  to Parquet and 500,000/s to NDJSON);
- the Slot path alone on one core: the rota and slot rules as generation runs them, without the
  patients and bookings the per-type figures share out, then the slots' JSON, store rows and files;
- the end-to-end rate of `generate` to NDJSON on 1 and N workers, and its ratio to the naive baseline
  (target: at least 50x on 1 worker);
- the peak memory of a small and a large run (target: flat as practices grow).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import yaml
from faker import Faker
from fhir.resources.STU3 import get_fhir_model_class

from gpsynth.dataset import OutputOptions, generate
from gpsynth.destination import Destination
from gpsynth.fhir import RENDERERS, last_updated_for, render_shard
from gpsynth.fhir.slot import render as render_slot
from gpsynth.fhir.text import ended
from gpsynth.generate.pools import pools
from gpsynth.generate import practice
from gpsynth.generate.practice import practice_shard
from gpsynth.generate.rota import schedule_slots, worked_sessions
from gpsynth.parts import Part
from gpsynth.plan import make_plan
from gpsynth.records import Shard
from gpsynth.scenario import parse_scenario, preset_text
from gpsynth.sinks.parquet import ROW_GROUP_ROWS, TableFiles
from gpsynth.store.rows import shard_rows
from gpsynth.store.schema import RESOURCE_TABLES

FIELDS = {"Organization": "organizations", "Location": "locations", "Practitioner": "practitioners",
          "Schedule": "schedules", "Slot": "slots", "Patient": "patients", "Appointment": "appointments"}
AS_OF = date(2026, 11, 25)


def scenario_with(practices: int):
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"]["count"] = practices
    return parse_scenario(rules, f"pcn with {practices} practices")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def type_seconds(scenario, practice_indexes: list[int], folder: str) -> tuple[dict, dict, dict]:
    """(resources, Parquet seconds, NDJSON seconds) by type over these practices, in this process.

    A type's seconds are its own rendering, store rows and file writing, plus the rules' time shared
    out by resource count (the rules interleave types: bookings mark slots, demand needs patients)."""
    plan = make_plan(scenario, 1, AS_OF)
    stamp = last_updated_for(AS_OF)
    # Warm up: pools, lazy imports and calendars are built once per process, not per practice.
    render_shard(practice_shard(plan, plan.practices[0]), stamp)
    counts, parquet, ndjson = Counter(), Counter(), Counter()
    tables: dict[str, TableFiles] = {}
    with open(Path(folder) / f"bench-{os.getpid()}.ndjson", "wb") as lines:
        for index in practice_indexes:
            started = time.perf_counter()
            shard = practice_shard(plan, plan.practices[index])
            rules = time.perf_counter() - started
            by_type = shard.by_type()
            total = sum(map(len, by_type.values()))
            for resource_type, records in by_type.items():
                if not records:
                    continue
                only = Shard(shard.practice_ods, **{"schedules": shard.schedules, FIELDS[resource_type]: records})
                started = time.perf_counter()
                rendered = render_shard(only, stamp)
                rendered_at = time.perf_counter()
                lines.write(ended(rendered[resource_type], "\n"))
                written_at = time.perf_counter()
                rows = shard_rows(index + 1, only, rendered, stamp).tables[resource_type]
                table = RESOURCE_TABLES[resource_type]
                files = tables.setdefault(resource_type, TableFiles(Destination.local(folder), f"pq-{os.getpid()}/{table.name}",
                                                                      table, Part(1, 1), 1 << 30, ROW_GROUP_ROWS))
                files.add(rows)
                stored_at = time.perf_counter()
                share = rules * len(records) / total
                counts[resource_type] += len(records)
                ndjson[resource_type] += share + (written_at - started)
                parquet[resource_type] += share + (rendered_at - started) + (stored_at - written_at)
    for resource_type, files in tables.items():
        started = time.perf_counter()
        files.close()
        parquet[resource_type] += time.perf_counter() - started
    return dict(counts), dict(parquet), dict(ndjson)


def slot_path_rates(scenario, folder: Path) -> tuple[int, float, float]:
    """(slots, slots/s to Parquet, slots/s to NDJSON) on one core for the Slot path alone: the rota and slot
    rules (timed where `practice_shard` calls them), the slots' JSON, store rows and file writer."""
    plan = make_plan(scenario, 1, AS_OF)
    stamp = last_updated_for(AS_OF)
    rules = [0.0]

    def timed(rule):
        def run(*args):
            started = time.perf_counter()
            found = rule(*args)
            rules[0] += time.perf_counter() - started
            return found
        return run

    practice.worked_sessions, practice.schedule_slots = timed(worked_sessions), timed(schedule_slots)
    slots, parquet, ndjson = 0, 0.0, 0.0
    table = RESOURCE_TABLES["Slot"]
    files = TableFiles(Destination.local(str(folder)), "slot-path", table, Part(1, 1), 1 << 30, ROW_GROUP_ROWS)
    try:
        with open(folder / "slot-path.ndjson", "wb") as lines:
            for found in plan.practices:
                shard = practice_shard(plan, found)
                only = Shard(shard.practice_ods, schedules=shard.schedules, slots=shard.slots)
                started = time.perf_counter()
                rendered = render_shard(only, stamp)
                rendered_at = time.perf_counter()
                lines.write(ended(rendered["Slot"], "\n"))
                written_at = time.perf_counter()
                files.add(shard_rows(1, only, rendered, stamp).tables["Slot"])
                stored_at = time.perf_counter()
                slots += len(shard.slots)
                ndjson += written_at - started
                parquet += (rendered_at - started) + (stored_at - written_at)
            started = time.perf_counter()
            files.close()
            parquet += time.perf_counter() - started
    finally:
        practice.worked_sessions, practice.schedule_slots = worked_sessions, schedule_slots
    return slots, rate(slots, rules[0] + parquet), rate(slots, rules[0] + ndjson)


def rates_by_type(scenario, practices: int, processes: int, folder: Path) -> tuple[dict, dict]:
    """Resources/s by type to Parquet and NDJSON with `processes` running at once, each over its share of
    the practices: all resources over the slowest process's seconds."""
    shares = [list(range(practices))[n::processes] for n in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        results = list(pool.map(type_seconds, [scenario] * processes, shares, [str(folder)] * processes))
    counts = Counter()
    for found, _, _ in results:
        counts.update(found)
    parquet = {t: counts[t] / max(r[1].get(t, 0) for r in results) for t in counts}
    ndjson = {t: counts[t] / max(r[2].get(t, 0) for r in results) for t in counts}
    return parquet, ndjson


def naive_rates(scenario, sample: int = 400) -> dict[str, float]:
    """Faker per patient, and fhir.resources validate + serialise per resource."""
    plan = make_plan(scenario, 1, AS_OF)
    shard = practice_shard(plan, plan.practices[0])
    stamp = last_updated_for(AS_OF)
    schedules = {s.id: s for s in shard.schedules}
    fake = Faker("en_GB")
    fake.seed_instance(1)

    def build(resource_type, record):
        if resource_type == "Slot":
            return render_slot(record, schedules[record.schedule_id], stamp)
        resource = RENDERERS[resource_type](record, stamp)
        if resource_type == "Patient":
            resource = {**resource, "name": [{"use": "official", "family": fake.last_name(), "given": [fake.first_name()]}],
                        "address": [{"line": [fake.street_address()], "city": fake.city(), "postalCode": fake.postcode()}],
                        "telecom": [{"system": "phone", "value": fake.phone_number()}]}
        return resource

    rates = {}
    for resource_type, records in shard.by_type().items():
        model = get_fhir_model_class(resource_type)
        model.model_validate(build(resource_type, records[0])).json()  # the lazy model build is not counted
        records = records[:sample]
        started = time.perf_counter()
        for record in records:
            model.model_validate(build(resource_type, record)).json()
        rates[resource_type] = rate(len(records), time.perf_counter() - started)
    return rates


def mix_rate(counts: dict[str, int], rates: dict[str, float]) -> float:
    """The overall rate of producing the whole mix when each type goes at its own rate."""
    return sum(counts.values()) / sum(n / rates[t] for t, n in counts.items() if n)


def end_to_end(scenario, workers: int, folder: Path) -> tuple[float, dict, float]:
    summary = generate(scenario, 1, AS_OF, folder / f"w{workers}", options=OutputOptions(("ndjson",)), workers=workers)
    return rate(sum(summary.counts.values()), summary.seconds), dict(summary.counts), summary.seconds


def peak_rss_mb(practices: int, folder: Path) -> float:
    """Peak resident memory of a `gpsynth generate` child process (workers=1)."""
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"]["count"] = practices
    scenario_file = folder / f"rss-{practices}.yaml"
    scenario_file.write_text(yaml.safe_dump(rules))
    code = ("import resource, sys; from gpsynth.cli import main; "
            "sys.argv=['gpsynth','generate','--scenario',sys.argv[1],'--as-of','2026-11-25','--workers','1','--out',sys.argv[2]];\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(scenario_file), str(folder / f"rss-out-{practices}")],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--practices", type=int, default=5, help="practices of the pcn rules (pcn has 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    scenario = scenario_with(args.practices)
    pools()  # built once per process; not part of any rate
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        naive = naive_rates(scenario)
        one_worker, counts, one_seconds = end_to_end(scenario, 1, folder)
        many_workers, _, many_seconds = end_to_end(scenario, args.workers, folder)
        parquet_1, ndjson_1 = rates_by_type(scenario, args.practices, 1, folder)
        parquet_n, ndjson_n = rates_by_type(scenario, args.practices, 2, folder)
        slot_count, slot_parquet, slot_ndjson = slot_path_rates(scenario, folder)
        naive_overall = mix_rate(counts, naive)
        print(f"dataset: pcn rules with {args.practices} practices, {sum(counts.values()):,} resources, as of {AS_OF}")
        print(f"{'type':14}{'naive/s':>10}{'Parquet/s 1 core':>18}{'2 cores':>12}{'NDJSON/s 1 core':>17}{'2 cores':>12}")
        for t in counts:
            print(f"{t:14}{naive[t]:>10,.0f}{parquet_1[t]:>18,.0f}{parquet_n[t]:>12,.0f}{ndjson_1[t]:>17,.0f}{ndjson_n[t]:>12,.0f}")
        print("targets on 2 cores: Slot and Patient >= 1,000,000/s to Parquet, >= 500,000/s to NDJSON")
        print(f"Slot path alone (rota and slot rules, JSON, store rows or file), 1 core, {slot_count:,} slots: "
              f"{slot_parquet:,.0f}/s to Parquet, {slot_ndjson:,.0f}/s to NDJSON")
        print(f"naive baseline, whole mix, 1 core:     {naive_overall:>12,.0f} resources/s")
        print(f"gpsynth end to end NDJSON, 1 worker:   {one_worker:>12,.0f} resources/s  "
              f"({one_worker / naive_overall:.1f}x naive; target 50x)  {one_seconds:.2f} s")
        print(f"gpsynth end to end NDJSON, {args.workers} workers:  {many_workers:>12,.0f} resources/s  "
              f"({many_workers / naive_overall:.1f}x naive)  {many_seconds:.2f} s; speed-up {one_seconds / many_seconds:.2f}")
        small, large = peak_rss_mb(2, folder), peak_rss_mb(8, folder)
        print(f"peak RSS: 2 practices {small:.0f} MB, 8 practices {large:.0f} MB (ratio {large / small:.2f}; flat is 1.0)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
