"""Registered patients: UK demographics, NHS numbers, registration details and special states."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, time
from itertools import accumulate

from ..calendar import london_instant
from ..identifiers import nhs_numbers
from ..plan import PracticePlan
from ..records import Location, Patient, Practitioner
from ..scenario import PATIENT_STATES, Scenario
from .pools import Pools

NHS_BEGAN = date(1948, 7, 5).toordinal()
TITLES = {"female": ("Mrs", "Ms", "Miss"), "male": ("Mr",)}


def pick(draw, values):
    """A uniform choice from a sequence, by one draw of the generator (faster than random.choice)."""
    return values[int(draw() * len(values))]


def special_states(scenario: Scenario, count: int) -> list[str]:
    """The state of each generated patient: the special ones come last in the list."""
    specials = [state for state in PATIENT_STATES[1:] for _ in range(scenario.special[state])]
    return ["normal"] * (count - len(specials)) + specials


def practice_patients(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                      as_of: date, organization_id: str, locations: list[Location],
                      clinicians: list[Practitioner]) -> list[Patient]:
    fixed = practice.fixed.patients if practice.fixed else ()
    bands = tuple((low * 365, (high - low + 1) * 365) for low, high, _ in scenario.age_bands)
    band_cum = tuple(accumulate(w for *_, w in scenario.age_bands))
    status_codes, status_weights = zip(*scenario.verification)
    status_cum = tuple(accumulate(status_weights))
    doctor_ids = [p.id for p in clinicians if p.prefix == "Dr"] or [p.id for p in clinicians]
    location_ids = [location.id for location in locations]
    states = [f.state for f in fixed] + special_states(scenario, practice.list_size - len(fixed))
    numbers = nhs_numbers(scenario.nhs_number_range, practice.first_patient_number)
    draw, today, adult_days = rng.random, as_of.toordinal(), 18 * 365
    female_share, addresses, mobiles, landlines = scenario.female_share, pools.addresses, pools.mobiles, pools.landlines
    patients = []
    for n, state in enumerate(states):
        generated_number = next(numbers)
        pinned = fixed[n] if n < len(fixed) else None
        gender = pinned.gender if pinned and pinned.gender else ("female" if draw() < female_share else "male")
        if pinned and pinned.birth_date:
            born = date.fromisoformat(pinned.birth_date).toordinal()
        else:
            first_day, span = bands[bisect(band_cum, draw() * band_cum[-1])]
            born = today - first_day - int(draw() * span)
        joinable = max(born, NHS_BEGAN)   # no registration predates the NHS
        registered = joinable + int(draw() * max(1, today - joinable))
        registration_end = deceased_at = None
        if state == "deceased":
            died = max(born, today - 1 - int(draw() * 365))
            registered = max(born, min(registered, died - 1))
            deceased_at = london_instant(date.fromordinal(died), time(int(draw() * 24), pick(draw, (0, 15, 30, 45))))
            registration_end = date.fromordinal(died).isoformat()
        elif state == "inactive":
            ended = max(born + 1, today - 30 - int(draw() * 690))
            registered = max(born, min(registered, ended - 1))
            registration_end = date.fromordinal(ended).isoformat()
        listed = state != "sensitive"  # PDS withholds a sensitive patient's address and phone
        mobile = draw() < 0.7
        patients.append(Patient(
            pinned.id if pinned and pinned.id else f"{practice.ods_code}-P{n + 1}",
            pinned.nhs_number if pinned else generated_number,
            "01" if pinned else status_codes[bisect(status_cum, draw() * status_cum[-1])],
            pinned.family if pinned and pinned.family else pools.family_name(rng),
            pinned.given if pinned and pinned.given else pools.given_name(rng, gender),
            pick(draw, TITLES[gender]) if today - born >= adult_days else "",
            gender,
            date.fromordinal(born).isoformat(),
            pick(draw, addresses) if listed else None,
            pick(draw, mobiles if mobile else landlines) if listed else None,
            "mobile" if mobile else "home",
            organization_id,
            pick(draw, doctor_ids),
            pick(draw, location_ids),
            date.fromordinal(registered).isoformat(),
            registration_end,
            "R",
            state,
            deceased_at,
        ))
    return patients
