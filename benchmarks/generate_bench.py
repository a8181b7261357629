"""Generation speed and memory, against a naive baseline measured in the same process.

The naive baseline is what a team would write first: Faker per patient, and every resource built,
validated and serialised one by one through fhir.resources STU3 models.

    python benchmarks/generate_bench.py [--practices 20] [--workers 2]

Prints resources/s by type, the end-to-end rate for 1 and N workers, the ratio to the naive baseline
(target: at least 30x overall), Slot NDJSON resources/s (target: at least 500,000/s), and the peak
memory of a small and a large run (target: flat as practices grow).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import orjson
import yaml
from faker import Faker
from fhir.resources.STU3 import get_fhir_model_class

from gpsynth.calendar import days_between
from gpsynth.dataset import OutputOptions, generate
from gpsynth.fhir import RENDERERS, last_updated_for
from gpsynth.fhir.slot import SlotWriter
from gpsynth.fhir.slot import render as render_slot
from gpsynth.generate.pools import pools
from gpsynth.generate.practice import id_counter, practice_shard
from gpsynth.generate.rota import SlotTimes, schedule_slots, worked_sessions
from gpsynth.generate.staff import practitioners, schedules
from gpsynth.plan import make_plan
from gpsynth.records import Location
from gpsynth.scenario import parse_scenario, preset_text

AS_OF = date(2026, 11, 25)


def scenario_with(practices: int):
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"]["count"] = practices
    return parse_scenario(rules, f"pcn with {practices} practices")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def gpsynth_rates_by_type(scenario) -> dict[str, float]:
    """Generate + render per type, in process, for one practice (records as well as JSON)."""
    plan = make_plan(scenario, 1, AS_OF)
    practice = plan.practices[0]
    stamp = last_updated_for(AS_OF)
    started = time.perf_counter()
    shard = practice_shard(plan, practice)
    generated = time.perf_counter() - started
    counts = {t: len(r) for t, r in shard.by_type().items()}
    render_seconds = {}
    for resource_type, records in shard.by_type().items():
        started = time.perf_counter()
        if resource_type == "Slot":
            writers = {s.id: SlotWriter(s, stamp) for s in shard.schedules}
            [writers[r.schedule_id](r) for r in records]
        else:
            [orjson.dumps(RENDERERS[resource_type](r, stamp)) for r in records]
        render_seconds[resource_type] = time.perf_counter() - started
    # Generation time is shared out by resource count: the rules interleave types.
    total = sum(counts.values())
    return {t: rate(n, generated * n / total + render_seconds[t]) for t, n in counts.items() if n}


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


def end_to_end(scenario, workers: int, folder: Path) -> tuple[float, dict]:
    summary = generate(scenario, 1, AS_OF, folder / f"w{workers}", options=OutputOptions(("ndjson",)), workers=workers)
    return rate(sum(summary.counts.values()), summary.seconds), dict(summary.counts)


def slot_ndjson_rate(scenario, folder: Path) -> float:
    """Slots alone through rota rules, JSON rendering and the NDJSON file, on one core."""
    plan = make_plan(scenario, 1, AS_OF)
    stamp = last_updated_for(AS_OF)
    first, last = AS_OF - timedelta(days=scenario.calendar.history_days), AS_OF + timedelta(days=scenario.calendar.horizon_days - 1)
    days = list(days_between(first, last))
    slots, started = 0, time.perf_counter()
    with open(folder / "Slot.ndjson", "wb") as out:
        for practice in plan.practices:
            rng = random.Random(practice.seed)
            people = practitioners(rng, pools(), scenario, practice, practice.ods_code)
            locations = [Location(f"{practice.ods_code}-L1", "Surgery", practice.ods_code, "", pools().address(random.Random(0), 0))]
            slot_times, next_id = SlotTimes(), id_counter(f"{practice.ods_code}-S")
            for schedule, group in schedules(people, locations, first.isoformat(), last.isoformat(), practice.ods_code):
                worked = worked_sessions(rng, scenario, group, days)
                rota = schedule_slots(rng, scenario, schedule, group, worked, slot_times, next_id)
                write = SlotWriter(schedule, stamp)
                out.write(b"\n".join(write(slot) for slot in rota) + b"\n")
                slots += len(rota)
    return rate(slots, time.perf_counter() - started)


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
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    scenario = scenario_with(args.practices)
    pools()  # built once per process; not part of any rate
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, naive = gpsynth_rates_by_type(scenario), naive_rates(scenario)
        one_worker, counts = end_to_end(scenario, 1, folder)
        many_workers, _ = end_to_end(scenario, args.workers, folder)
        slot_rate = slot_ndjson_rate(scenario, folder)
        naive_overall = mix_rate(counts, naive)
        print(f"dataset: pcn rules with {args.practices} practices, {sum(counts.values()):,} resources, as of {AS_OF}")
        print(f"{'type':14}{'gpsynth/s (1 core)':>20}{'naive/s':>12}{'ratio':>8}")
        for resource_type in counts:
            ratio = ours[resource_type] / naive[resource_type]
            print(f"{resource_type:14}{ours[resource_type]:>20,.0f}{naive[resource_type]:>12,.0f}{ratio:>8.1f}")
        print(f"naive baseline, whole mix, 1 core:     {naive_overall:>12,.0f} resources/s")
        print(f"gpsynth end to end, 1 worker:          {one_worker:>12,.0f} resources/s  ({one_worker / naive_overall:.1f}x naive)")
        print(f"gpsynth end to end, {args.workers} workers:         {many_workers:>12,.0f} resources/s  "
              f"({many_workers / naive_overall:.1f}x naive; target 30x)")
        print(f"Slot NDJSON (generate+render+write), 1 core: {slot_rate:>10,.0f} slots/s (target 500,000/s on 2 cores)")
        small, large = peak_rss_mb(2, folder), peak_rss_mb(8, folder)
        print(f"peak RSS: 2 practices {small:.0f} MB, 8 practices {large:.0f} MB (ratio {large / small:.2f}; flat is 1.0)")


if __name__ == "__main__":
    main()
