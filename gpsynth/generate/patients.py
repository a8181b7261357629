"""Registered patients: UK demographics, NHS numbers, registration details and special states."""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from itertools import accumulate

from ..calendar import london_instant
from ..identifiers import nhs_numbers
from ..plan import PracticePlan
from ..records import Location, Patient, Practitioner
from ..scenario import PATIENT_STATES, Scenario
from .pools import Pools
from .sites import address

TITLES = {"female": ("Mrs", "Ms", "Miss"), "male": ("Mr",)}


def birth_date(rng: random.Random, scenario: Scenario, as_of: date, band_cum) -> date:
    low, high, _ = rng.choices(scenario.age_bands, cum_weights=band_cum)[0]
    age_days = rng.randint(low * 365, high * 365 + 364)
    return as_of - timedelta(days=age_days)


def special_states(scenario: Scenario, count: int) -> list[str]:
    """The state of each generated patient: the special ones come last in the list."""
    specials = [state for state in PATIENT_STATES[1:] for _ in range(scenario.special[state])]
    return ["normal"] * (count - len(specials)) + specials


def practice_patients(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                      as_of: date, organization_id: str, locations: list[Location],
                      clinicians: list[Practitioner]) -> list[Patient]:
    fixed = practice.fixed.patients if practice.fixed else ()
    band_cum = tuple(accumulate(w for *_, w in scenario.age_bands))
    status_codes, status_weights = zip(*scenario.verification)
    status_cum = tuple(accumulate(status_weights))
    doctors = [p for p in clinicians if p.prefix == "Dr"] or clinicians
    states = [f.state for f in fixed] + special_states(scenario, practice.list_size - len(fixed))
    numbers = nhs_numbers(scenario.nhs_number_range, practice.first_patient_number)
    patients = []
    for n, state in enumerate(states):
        generated_number = next(numbers)
        pinned = fixed[n] if n < len(fixed) else None
        gender = pinned.gender if pinned and pinned.gender else ("female" if rng.random() < scenario.female_share else "male")
        born = date.fromisoformat(pinned.birth_date) if pinned and pinned.birth_date else birth_date(rng, scenario, as_of, band_cum)
        registered = born + timedelta(days=rng.randint(0, max(0, (as_of - born).days - 1)))
        registration_end = deceased_at = None
        if state == "deceased":
            died = as_of - timedelta(days=rng.randint(1, 365))
            registered = min(registered, died - timedelta(days=1))
            deceased_at = london_instant(died, time(rng.randint(0, 23), rng.choice((0, 15, 30, 45))))
            registration_end = died.isoformat()
        elif state == "inactive":
            registration_end = (as_of - timedelta(days=rng.randint(30, 720))).isoformat()
            registered = min(registered, date.fromisoformat(registration_end) - timedelta(days=1))
        sensitive = state == "sensitive"
        mobile = rng.random() < 0.7
        patients.append(Patient(
            id=(pinned.id if pinned and pinned.id else f"{practice.ods_code}-P{n + 1}"),
            nhs_number=(pinned.nhs_number if pinned else generated_number),
            verification_status=("01" if pinned else rng.choices(status_codes, cum_weights=status_cum)[0]),
            family=(pinned.family if pinned and pinned.family else pools.family_name(rng)),
            given=(pinned.given if pinned and pinned.given else pools.given_name(rng, gender)),
            prefix=rng.choice(TITLES[gender]) if (as_of - born).days >= 18 * 365 else "",
            gender=gender,
            birth_date=born.isoformat(),
            address=None if sensitive else address(rng, pools),
            phone=None if sensitive else rng.choice(pools.mobiles if mobile else pools.landlines),
            phone_use="mobile" if mobile else "home",
            organization_id=organization_id,
            general_practitioner_id=rng.choice(doctors).id,
            preferred_location_id=rng.choice(locations).id,
            registration_start=registered.isoformat(),
            registration_end=registration_end,
            registration_type="R",
            state=state,
            deceased_at=deceased_at,
        ))
    return patients
