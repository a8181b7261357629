"""Patient generation speed, against a Faker-per-patient baseline measured in the same process.

The baseline is what a team would write without gpsynth: one Faker call per name, address and phone
number, and per-patient Python draws for age, sex and registration. Both make Patient records only
(rendering is the same code for both and is timed separately).

    python benchmarks/patients_bench.py [--practices 5] [--repeat 5]

Prints patients/s for gpsynth's generator (best of --repeat runs), for rendering them to FHIR JSON (in
bulk, as gpsynth does, and through the readable renderer the tests hold it to), for the baseline, the
ratio, and the load average beside them.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date

import orjson
from faker import Faker

from gpsynth.fhir import RENDERERS, bulk, last_updated_for
from gpsynth.generate.patients import practice_patients
from gpsynth.generate.pools import pools
from gpsynth.generate.practice import practice_shard
from gpsynth.generate.sites import practice_district
from gpsynth.identifiers import derive_seed, nhs_numbers
from gpsynth.plan import make_plan
from gpsynth.records import Address, Patient, PatientColumns
from gpsynth.scenario import load_scenario

AS_OF = date(2026, 12, 3)


def best_of(repeat: int, work) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def faker_patients(count: int, organization_id: str, location_id: str, doctor_id: str) -> list[Patient]:
    fake, draw, today = Faker("en_GB"), random.Random(1), AS_OF.toordinal()
    fake.seed_instance(1)
    numbers = nhs_numbers("999", 0)
    patients = []
    for n in range(count):
        gender = "female" if draw.random() < 0.51 else "male"
        born = today - draw.randrange(1, 100 * 365)
        registered = draw.randrange(born + 1, today + 1)
        given = fake.first_name_female() if gender == "female" else fake.first_name_male()
        address = Address((fake.street_address(),), fake.city(), fake.county(), fake.postcode())
        patients.append(Patient(f"P{n}", next(numbers), "01", fake.last_name(), given, "", gender,
                                date.fromordinal(born).isoformat(), address, fake.phone_number(), "home",
                                organization_id, doctor_id, location_id, date.fromordinal(registered).isoformat(),
                                None, "R", "normal"))
    return patients


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--practices", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    scenario = load_scenario("pcn")
    plan = make_plan(scenario, 1, AS_OF)
    name_pools = pools()  # built once per process; not part of any rate
    practices = plan.practices[:args.practices]
    shards = [practice_shard(plan, practice) for practice in practices]
    districts = [practice_district(random.Random(derive_seed(p.seed, "sites")), name_pools) for p in practices]

    def ours():
        return [practice_patients(random.Random(derive_seed(p.seed, "patients")), name_pools, scenario, p, AS_OF,
                                  s.organizations[0].id, s.locations, s.practitioners, d)
                for p, s, d in zip(practices, shards, districts, strict=True)]

    made = ours()
    count = sum(len(patients) for patients in made)
    generate_seconds = best_of(args.repeat, ours)
    stamp = last_updated_for(AS_OF)
    # Fresh columns each time, so the conversion of their text to Arrow is timed with the rendering.
    bulk_seconds = best_of(args.repeat, lambda: [bulk.patients(PatientColumns(ps.columns), stamp) for ps in made])
    readable_seconds = best_of(args.repeat, lambda: [orjson.dumps(RENDERERS["Patient"](p, stamp)) for ps in made for p in ps])
    first = shards[0]
    sample = min(count, 5000)
    baseline_seconds = best_of(1, lambda: faker_patients(sample, first.organizations[0].id, first.locations[0].id,
                                                         first.practitioners[0].id))
    ours_rate, baseline_rate = count / generate_seconds, sample / baseline_seconds
    print(f"patients: {count:,} in {len(practices)} pcn practices (seed 1, as of {AS_OF}); load average {os.getloadavg()}")
    print(f"gpsynth Patient generator, 1 core:   {ours_rate:>10,.0f} patients/s")
    print(f"render to FHIR JSON in bulk, 1 core:  {count / bulk_seconds:>10,.0f} patients/s  (what gpsynth runs)")
    print(f"readable dict rendering + orjson:     {count / readable_seconds:>10,.0f} patients/s  (the definition the tests "
          "hold the bulk rendering to)")
    print(f"Faker-per-patient baseline, 1 core:  {baseline_rate:>10,.0f} patients/s  (gpsynth {ours_rate / baseline_rate:.1f}x)")


if __name__ == "__main__":
    main()
