"""Registered patients, drawn a practice at a time as arrays, then made into records.

Ages and sexes follow England's mid-year estimates, forenames the rankings of the patient's birth
years, surnames their national frequency; patients live in the practice's postcode district or a
neighbouring one. Registrations start after birth and not before the NHS began.
"""

from __future__ import annotations

import random
from datetime import date, time
import numpy as np

from ..calendar import days64, iso_dates, london_instant
from ..identifiers import nhs_number_block
from ..plan import PracticePlan
from ..records import Location, PatientColumns, Practitioner
from ..scenario import PATIENT_STATES, Scenario
from .pools import LAST_DECADE, UNIT_LETTERS, Pools, cumulative

NHS_BEGAN = date(1948, 7, 5)
ADULT_AGE = 18
TITLES = {"female": ("Mrs", "Ms", "Miss"), "male": ("Mr",)}
HOME_DISTRICT_SHARE = 0.75            # the rest live in the neighbouring districts
MOBILE_SHARE = 0.7
MEAN_YEARS_REGISTERED = 12            # time since joining the practice, exponential, capped by age and 1948
DAYS_PER_YEAR = 365.2425


def special_states(scenario: Scenario, count: int) -> list[str]:
    """The state of each generated patient: the special ones come last in the list."""
    specials = [state for state in PATIENT_STATES[1:] for _ in range(scenario.patients.special[state])]
    return ["normal"] * (count - len(specials)) + specials


def age_shares(pools: Pools, scenario: Scenario) -> np.ndarray:
    """Cumulative share of patients up to each single year of age."""
    england = np.diff(pools.age_cum, prepend=0.0)
    if scenario.patients.age_bands is None:
        return pools.age_cum
    weights = np.zeros_like(england)
    for low, high, weight in scenario.patients.age_bands:
        band = england[low:high + 1]
        weights[low:high + 1] += weight * band / band.sum()
    return cumulative(weights)


def draw_ages_and_sexes(gen: np.random.Generator, pools: Pools, scenario: Scenario, count: int) -> tuple[np.ndarray, np.ndarray]:
    ages = np.searchsorted(age_shares(pools, scenario), gen.random(count), side="right")
    female_share = pools.female_by_age[ages] if scenario.patients.female_share is None else scenario.patients.female_share
    return ages, gen.random(count) < female_share


def draw_birth_days(gen: np.random.Generator, ages: np.ndarray, today: int) -> np.ndarray:
    """Birth ordinals for the given ages on `today`; everyone was born by yesterday."""
    return today - 1 - ((ages + gen.random(len(ages))) * DAYS_PER_YEAR).astype(np.int64)


def draw_registration_days(gen: np.random.Generator, born: np.ndarray, today: int) -> np.ndarray:
    """Registration ordinals after birth, on or after the NHS began, no later than today."""
    earliest = np.maximum(born + 1, NHS_BEGAN.toordinal())
    span = today - earliest
    back = gen.exponential(MEAN_YEARS_REGISTERED * DAYS_PER_YEAR, len(born))
    back = np.where(back > span, gen.random(len(born)) * span, back)
    return today - back.astype(np.int64)


def draw_forenames(gen: np.random.Generator, pools: Pools, born: np.ndarray, female: np.ndarray) -> list[str]:
    """Forenames from the ranking of a year near each birth year (parents' tastes lag and lead the
    year's chart), by sex."""
    years = days64(born).astype("datetime64[Y]").astype(np.int64) + 1970
    years = years + gen.integers(-4, 5, len(born))
    decades = np.clip(years // 10 * 10, min(d for d, _ in pools.forenames), LAST_DECADE)
    draws = gen.random(len(born))
    names = [""] * len(born)
    for (decade, sex), (pool, cum) in pools.forenames.items():
        members = np.flatnonzero((decades == decade) & (female == (sex == "female")))
        for member, pick in zip(members.tolist(), np.searchsorted(cum, draws[members], side="right").tolist(), strict=True):
            names[member] = pool[pick]
    return names


def draw_addresses(gen: np.random.Generator, pools: Pools, home_district: int, count: int) -> dict[str, list]:
    """Street addresses with well-formed postcodes, as the address columns of PatientColumns."""
    districts = pools.districts
    nearby = np.array(districts.neighbours(home_district))
    chosen = np.where(gen.random(count) < HOME_DISTRICT_SHARE, home_district,
                      nearby[gen.integers(0, len(nearby), count)]).tolist()
    sectors = gen.integers(0, 10, count).tolist()
    first_letters = gen.integers(0, len(UNIT_LETTERS), count).tolist()
    second_letters = gen.integers(0, len(UNIT_LETTERS), count).tolist()
    houses = gen.integers(1, 200, count).tolist()
    streets = gen.integers(0, len(pools.streets), count).tolist()
    codes, units, names = districts.codes, UNIT_LETTERS, pools.streets
    return {
        "address_lines": [(f"{house} {names[street]}",) for house, street in zip(houses, streets, strict=True)],
        "address_city": [districts.towns[d] for d in chosen],
        "address_district": [districts.counties[d] for d in chosen],
        "address_postcode": [f"{codes[d]} {sector}{units[u1]}{units[u2]}"
                             for d, sector, u1, u2 in zip(chosen, sectors, first_letters, second_letters, strict=True)],
    }


def practice_patients(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                      as_of: date, organization_id: str, locations: list[Location],
                      clinicians: list[Practitioner], home_district: int) -> PatientColumns:
    gen = np.random.default_rng(rng.getrandbits(64))
    fixed = practice.fixed.patients if practice.fixed else ()
    count, today = practice.list_size, as_of.toordinal()
    states = [f.state for f in fixed] + special_states(scenario, count - len(fixed))
    special = np.array([state in ("deceased", "inactive") for state in states])

    ages, female = draw_ages_and_sexes(gen, pools, scenario, count)
    ages = np.where(special, np.maximum(ages, ADULT_AGE), ages)  # they need a past to have ended it in
    born = draw_birth_days(gen, ages, today)
    genders = [("male", "female")[f] for f in female.tolist()]
    for n, pinned in enumerate(fixed):
        born[n] = date.fromisoformat(pinned.birth_date).toordinal() if pinned.birth_date else born[n]
        genders[n] = pinned.gender or genders[n]
    registered = draw_registration_days(gen, born, today)
    families = [pools.surnames[i] for i in np.searchsorted(pools.surname_cum, gen.random(count), side="right").tolist()]
    givens = draw_forenames(gen, pools, born, np.array([g == "female" for g in genders]))
    addresses = draw_addresses(gen, pools, home_district, count)
    status_codes, status_weights = zip(*scenario.patients.verification, strict=True)
    statuses = [status_codes[i] for i in np.searchsorted(cumulative(status_weights), gen.random(count), side="right").tolist()]
    mobile = (gen.random(count) < MOBILE_SHARE).tolist()
    phone_picks = gen.integers(0, len(pools.mobiles), count).tolist()
    phones = [(pools.mobiles if m else pools.landlines)[i] for m, i in zip(mobile, phone_picks, strict=True)]
    doctor_ids = [p.id for p in clinicians if p.prefix == "Dr"] or [p.id for p in clinicians]
    doctors = [doctor_ids[i] for i in gen.integers(0, len(doctor_ids), count).tolist()]
    location_ids = [location.id for location in locations]
    preferred = [location_ids[i] for i in gen.integers(0, len(location_ids), count).tolist()]
    adult = (today - born >= ADULT_AGE * DAYS_PER_YEAR).tolist()
    prefixes = [pick_title(gender, pick) if grown else ""
                for gender, pick, grown in zip(genders, gen.integers(0, 3, count).tolist(), adult, strict=True)]
    ids = [f"{practice.ods_code}-P{n + 1}" for n in range(count)]
    numbers = nhs_number_block(scenario.patients.nhs_number_range, practice.first_patient_number, count)
    for n, pinned in enumerate(fixed):
        ids[n], numbers[n], statuses[n] = pinned.id or ids[n], pinned.nhs_number, "01"
        families[n], givens[n] = pinned.family or families[n], pinned.given or givens[n]

    ends: list[str | None] = [None] * count
    deaths: list[str | None] = [None] * count
    for n, state in enumerate(states):
        if state in ("deceased", "inactive"):
            ends[n], deaths[n], registered[n] = ended_registration(rng, state, int(born[n]), int(registered[n]), today)
        elif state == "sensitive":  # PDS withholds a sensitive patient's address and phone
            phones[n] = None
            for column in addresses.values():
                column[n] = None
    return PatientColumns({
        "id": ids, "nhs_number": numbers, "verification_status": statuses, "family": families, "given": givens,
        "prefix": prefixes, "gender": genders, "birth_date": iso_dates(born), **addresses, "phone": phones,
        "phone_use": ["mobile" if m else "home" for m in mobile], "organization_id": [organization_id] * count,
        "general_practitioner_id": doctors, "preferred_location_id": preferred, "registration_start": iso_dates(registered),
        "registration_end": ends, "registration_type": ["R"] * count, "state": states, "deceased_at": deaths})


def pick_title(gender: str, pick: int) -> str:
    titles = TITLES.get(gender, ("",))
    return titles[pick % len(titles)]


def death_instant(rng: random.Random, day: date) -> str:
    """A time of death on the day, to the quarter hour, as an instant that exists in London."""
    return london_instant(day, time(rng.randrange(24), rng.choice((0, 15, 30, 45))))


def ended_registration(rng: random.Random, state: str, born: int, registered: int, today: int) -> tuple[str, str | None, int]:
    """(registration end, deceased instant, registration start) for a patient who died or left.

    The end falls after birth and registration start; a death time is a London wall-clock time that exists.
    """
    if state == "deceased":
        ended = max(today - 1 - rng.randrange(365), born + 2)
        deceased_at = death_instant(rng, date.fromordinal(ended))
    else:
        ended = max(today - 30 - rng.randrange(690), born + 2)
        deceased_at = None
    start = min(registered, ended - 1)
    return date.fromordinal(ended).isoformat(), deceased_at, start
