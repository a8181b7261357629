"""People and places look like England's: ages, sexes, names and postcodes against the published figures.

`pcn` is checked through the files `gpsynth generate` writes; `england-1pct` (626,640 patients) through the
patient generator itself, practice by practice, which is where its distributions come from.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date

import numpy as np
import pytest
from generated import generate

from gpsynth.generate.patients import NHS_BEGAN, practice_patients
from gpsynth.generate.pools import birth_decade, pools, reference_rows
from gpsynth.generate.sites import practice_district
from gpsynth.identifiers import derive_seed
from gpsynth.plan import make_plan
from gpsynth.records import Location, Practitioner
from gpsynth.scenario import load_scenario, parse_scenario

AS_OF = date(2026, 12, 3)
# A UK postcode: outward code (area, district digit(s), optional letter), a space, a sector digit and two
# unit letters from the twenty Royal Mail uses.
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?) [0-9][ABD-HJLNP-UW-Z]{2}$")


def addresses_of(resource: dict) -> list[dict]:
    """A Patient or Organization holds a list of addresses, a Location at most one."""
    found = resource.get("address", [])
    return found if isinstance(found, list) else [found]


def england_population():
    rows = reference_rows("england_population.csv")
    return np.array([int(r["male"]) for r in rows]), np.array([int(r["female"]) for r in rows])


def age_on(birth_date: str, day: date = AS_OF) -> int:
    born = date.fromisoformat(birth_date)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def pcn(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("pcn") / "out", "pcn", AS_OF.isoformat(), seed=1)


@pytest.fixture(scope="module")
def england_1pct():
    """Every practice's patients in england-1pct (seed 1), with the practice's postcode district."""
    scenario = load_scenario("england-1pct")
    plan = make_plan(scenario, 1, AS_OF)
    name_pools = pools()
    practices = []
    for practice in plan.practices:
        district = practice_district(random.Random(derive_seed(practice.seed, "sites")), name_pools)
        site = Location(f"{practice.ods_code}-L1", "Main", practice.ods_code, "", name_pools.address(random.Random(0), district))
        doctor = Practitioner(f"{practice.ods_code}-PR1", "1", (), "Doctor", "A", "Dr", "female", "R0260", practice.ods_code)
        patients = practice_patients(random.Random(derive_seed(practice.seed, "patients")), name_pools, scenario,
                                     practice, AS_OF, practice.ods_code, [site], [doctor], district)
        practices.append((district, patients))
    return practices


@pytest.fixture(scope="module")
def people(england_1pct):
    return [p for _, patients in england_1pct for p in patients]


def test_ages_follow_the_ons_single_year_estimates(people):
    male, female = england_population()
    expected = (male + female) / (male + female).sum()
    ages = np.bincount([age_on(p.birth_date) for p in people], minlength=len(expected))
    observed = ages / ages.sum()
    # Five-year bands within half a percentage point of England's share of each.
    bands = [(observed[a:a + 5].sum(), expected[a:a + 5].sum()) for a in range(0, 90, 5)]
    assert all(abs(o - e) < 0.005 for o, e in bands), bands
    assert abs(observed[90:].sum() - expected[90:].sum()) < 0.002
    assert observed[100:].sum() <= 0.0005, "at most 0.05 % aged 100 or over"


@pytest.mark.parametrize("low, high, tolerance", [(0, 15, 0.01), (15, 65, 0.006), (65, 80, 0.01),
                                                  (80, 90, 0.015), (90, 106, 0.025)])
def test_the_female_share_at_each_age_follows_the_ons_estimates(people, low, high, tolerance):
    male, female = england_population()
    expected = female[low:high].sum() / (male[low:high].sum() + female[low:high].sum())
    group = [p for p in people if low <= age_on(p.birth_date) < high]
    observed = sum(p.gender == "female" for p in group) / len(group)
    assert abs(observed - expected) < tolerance, (len(group), observed, expected)


def test_very_old_patients_are_mostly_women(people):
    over_90 = [p for p in people if age_on(p.birth_date) >= 90]
    assert sum(p.gender == "female" for p in over_90) / len(over_90) > 0.6


def test_surnames_follow_their_national_frequency(people):
    counts = Counter(p.family for p in people)
    (top, top_count), = counts.most_common(1)
    assert top == "Smith" and 0.009 <= top_count / len(people) <= 0.015
    assert len(counts) > 700, "a long tail of real surnames"


def test_forenames_come_from_the_rankings_of_the_birth_years(people):
    rankings = {(int(r["decade"]), r["sex"]): set(r["names_by_rank"].split()) for r in reference_rows("forenames.csv")}
    for p in people[::50]:
        decade = birth_decade(int(p.birth_date[:4]))
        near = set().union(*(rankings.get((d, p.gender), set()) for d in (decade - 10, decade, decade + 10)))
        assert p.given in near, (p.given, p.birth_date, p.gender)
    toddlers = Counter(p.given for p in people if age_on(p.birth_date) < 5)
    elders = Counter(p.given for p in people if age_on(p.birth_date) >= 85)
    assert not set(toddlers) & {"Doreen", "Janet", "Brenda", "Kenneth", "Derek"}
    assert not set(elders) & {"Bethany", "Chloe", "Muhammad", "Harper", "Arlo"}


def test_few_patients_share_their_full_name_with_another_at_their_practice(england_1pct, pcn):
    def repeated(patients):
        names = Counter((p.given, p.family) for p in patients)
        return sum(names[p.given, p.family] > 1 for p in patients)
    shared = sum(repeated(patients) for _, patients in england_1pct) / sum(len(p) for _, p in england_1pct)
    assert shared < 0.25, shared
    by_practice = Counter()
    for r in pcn.resources["Patient"]:
        by_practice[r["managingOrganization"]["reference"], r["name"][0]["given"][0], r["name"][0]["family"]] += 1
    assert sum(n for n in by_practice.values() if n > 1) / len(pcn.resources["Patient"]) < 0.25


def test_patients_live_in_their_practices_district_or_a_neighbouring_one(england_1pct):
    districts = pools().districts
    for district, patients in england_1pct:
        home = districts.codes[district]
        nearby = {home, *(districts.codes[d] for d in districts.neighbours(district))}
        outward = Counter(POSTCODE.match(p.address.postcode).group(1) for p in patients if p.address)
        assert set(outward) <= nearby
        assert outward[home] / sum(outward.values()) > 0.6


def test_addresses_are_well_formed_in_england_with_matching_towns_and_counties(pcn):
    districts = pools().districts
    where = {code: (town, county) for code, town, county in zip(districts.codes, districts.towns, districts.counties, strict=True)}
    addresses = [a for t in ("Patient", "Organization", "Location") for r in pcn.resources[t] for a in addresses_of(r)]
    assert len(addresses) > 30_000
    good = [a for a in addresses if (m := POSTCODE.match(a["postalCode"])) and m.group(1) in where
            and where[m.group(1)] == (a["city"], a["district"])]
    assert len(good) / len(addresses) >= 0.99


def test_branch_surgeries_are_in_the_same_or_a_neighbouring_district(pcn):
    districts = pools().districts
    index = {code: i for i, code in enumerate(districts.codes)}

    def outward(resource: dict) -> str:
        return POSTCODE.match(addresses_of(resource)[0]["postalCode"]).group(1)

    practices = {r["id"]: outward(r) for r in pcn.resources["Organization"] if r["id"] in
                 {loc["managingOrganization"]["reference"].split("/")[1] for loc in pcn.resources["Location"]}}
    for location in pcn.resources["Location"]:
        home = practices[location["managingOrganization"]["reference"].split("/")[1]]
        allowed = {home, *(districts.codes[d] for d in districts.neighbours(index[home]))}
        assert outward(location) in allowed


def test_registrations_start_after_birth_and_not_before_the_nhs(people, pcn):
    for p in people:
        assert NHS_BEGAN.isoformat() <= p.registration_start <= AS_OF.isoformat()
        assert p.registration_start > p.birth_date
        if p.registration_end:
            assert p.registration_start < p.registration_end
    for r in pcn.resources["Patient"]:
        period = r["extension"][0]["extension"][0]["valuePeriod"]
        assert period["start"] >= NHS_BEGAN.isoformat() and period["start"] > r["birthDate"]


def test_chosen_age_bands_keep_patients_inside_them():
    scenario = parse_scenario({"practices": {"count": 1, "list_size": 3000},
                               "patients": {"age_bands": {"0-4": 1, "90-105": 1}, "female_share": 0.5}}, "test")
    plan = make_plan(scenario, 3, AS_OF)
    practice = plan.practices[0]
    site = Location("L1", "Main", "X", "", pools().address(random.Random(0), 0))
    doctor = Practitioner("PR1", "1", (), "Doctor", "A", "Dr", "female", "R0260", "X")
    patients = practice_patients(random.Random(1), pools(), scenario, practice, AS_OF, "X", [site], [doctor], 0)
    ages = [age_on(p.birth_date) for p in patients if p.state == "normal"]
    assert all(a <= 4 or a >= 90 for a in ages)
    assert 0.4 < sum(a <= 4 for a in ages) / len(ages) < 0.6
    assert 0.45 < sum(p.gender == "female" for p in patients) / len(patients) < 0.55


def farthest_apart_km(district_indexes) -> float:
    """The greatest distance between the centroids of any two of the districts."""
    districts = pools().districts
    lat, lon = districts.latitude[list(district_indexes)], districts.longitude[list(district_indexes)]
    dlat = (lat[:, None] - lat[None, :]) * 111.2
    dlon = (lon[:, None] - lon[None, :]) * 111.2 * np.cos(np.radians(lat.mean()))
    return float(np.hypot(dlat, dlon).max())


def test_a_networks_practices_sit_together_and_englands_spread_out(pcn, england_1pct):
    codes = {code: i for i, code in enumerate(pools().districts.codes)}
    network = [codes[POSTCODE.match(address["postalCode"]).group(1)]
               for org in pcn.resources["Organization"] if org["id"] != "GPSH01" and org["id"] != "GPSU01"
               for address in addresses_of(org)]
    assert len(network) == 5
    assert farthest_apart_km(network) < 40
    assert farthest_apart_km([district for district, _ in england_1pct]) > 300
