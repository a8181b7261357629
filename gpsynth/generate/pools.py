"""Pools of English names, places and phone numbers, read once per process from gpsynth.reference.

Names and places come from public figures (datasets/SOURCES.md); phone numbers from Faker en_GB
with a fixed seed. Every process builds the same pools, and a shard draws from them with its own
random generator, so its output does not depend on which process ran it.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from faker import Faker
from faker.providers.person.en_GB import Provider as BritishNames
from faker.providers.person.en_NZ import Provider as NewZealandNames

from ..records import Address

POOL_SEED = 20200505  # GP Connect 1.2.7's release date; any constant will do
PHONE_POOL_SIZE = 4000
FIRST_DECADE, LAST_DECADE = 1910, 2020   # the birth decades the forename rankings cover
ADULT_DECADES = (1960, 1970, 1980, 1990)  # birth decades of working-age staff
NEIGHBOURS = 4                             # nearby districts where a practice's branches and patients live
# Letters the inward code's unit may hold (Royal Mail leaves out C, I, K, M, O and V).
UNIT_LETTERS = tuple("ABDEFGHJLNPQRSTUWXYZ")
STREET_STEMS = ("Church", "High", "Station", "Victoria", "Park", "Mill", "School", "Queens", "Kings", "New", "Green",
                "Manor", "Albert", "York", "London", "Windsor", "Grange", "Chapel", "Springfield", "Orchard", "Meadow",
                "Beech", "Oak", "Elm", "Ash", "Willow", "Cedar", "Highfield", "Alexandra", "George", "North", "South",
                "West", "Main", "Market", "Bridge", "Castle", "Hill", "Stanley", "Richmond", "Westfield", "Mount")
STREET_KINDS = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove", "Gardens",
                "Terrace", "Place")


def reference_rows(name: str) -> list[dict[str, str]]:
    with resources.files("gpsynth.reference").joinpath(name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def cumulative(weights) -> np.ndarray:
    """Cumulative shares ending at exactly 1, for drawing indexes with searchsorted."""
    totals = np.cumsum(np.asarray(weights, dtype=np.float64))
    return totals / totals[-1]


def district_numbers(spec: str) -> Iterator[int]:
    for token in spec.split():
        first, _, last = token.partition("-")
        yield from range(int(first), int(last or first) + 1)


@dataclass(frozen=True)
class Districts:
    """England's postcode districts with their post town, county, region and centroid."""
    codes: tuple[str, ...]
    towns: tuple[str, ...]
    counties: tuple[str, ...]
    regions: tuple[str, ...]
    latitude: np.ndarray
    longitude: np.ndarray
    number: np.ndarray

    @classmethod
    def load(cls) -> Districts:
        codes, towns, counties, regions, lat, lon, numbers = [], [], [], [], [], [], []
        for row in reference_rows("postcode_districts.csv"):
            for n in district_numbers(row["districts"]):
                codes.append(f"{row['area']}{n}")
                towns.append(row["post_town"])
                counties.append(row["county"])
                regions.append(row["region"])
                lat.append(float(row["latitude"]))
                lon.append(float(row["longitude"]))
                numbers.append(n)
        return cls(tuple(codes), tuple(towns), tuple(counties), tuple(regions),
                   np.array(lat), np.array(lon), np.array(numbers))

    def neighbours(self, index: int) -> tuple[int, ...]:
        """The nearest other districts by centroid; districts of one post town share a centroid, so ties
        go to the nearest district number."""
        dlat = self.latitude - self.latitude[index]
        dlon = (self.longitude - self.longitude[index]) * np.cos(np.radians(self.latitude[index]))
        distance = np.hypot(dlat, dlon)
        order = np.lexsort((np.abs(self.number - self.number[index]), distance))
        return tuple(int(i) for i in order if i != index)[:NEIGHBOURS]


@dataclass(frozen=True)
class Pools:
    surnames: tuple[str, ...]
    surname_cum: np.ndarray
    forenames: dict[tuple[int, str], tuple[tuple[str, ...], np.ndarray]]  # (decade, sex) -> names, cumulative shares
    age_cum: np.ndarray               # share of England's population aged up to each single year
    female_by_age: np.ndarray         # share of each single year of age that is female
    districts: Districts
    streets: tuple[str, ...]
    landlines: tuple[str, ...]
    mobiles: tuple[str, ...]

    def family_name(self, rng: random.Random) -> str:
        return self.surnames[int(np.searchsorted(self.surname_cum, rng.random(), side="right"))]

    def given_name(self, rng: random.Random, gender: str, birth_year: int | None = None) -> str:
        """A forename by sex and birth year; without a year, that of a working-age adult."""
        decade = rng.choice(ADULT_DECADES) if birth_year is None else birth_decade(birth_year)
        names, cum = self.forenames[decade, "female" if gender == "female" else "male"]
        return names[int(np.searchsorted(cum, rng.random(), side="right"))]

    def address(self, rng: random.Random, district: int) -> Address:
        """A street address with a well-formed postcode in the given district."""
        d = self.districts
        postcode = f"{d.codes[district]} {rng.randrange(10)}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
        street = f"{rng.randrange(1, 200)} {rng.choice(self.streets)}"
        return Address((street,), d.towns[district], d.counties[district], postcode)


def birth_decade(year: int) -> int:
    return min(max(year // 10 * 10, FIRST_DECADE), LAST_DECADE)


def rank_shares(count: int) -> np.ndarray:
    """Shares of the names in a ranking: falling with rank, as birth registrations do."""
    return 1.0 / (np.arange(count) + 10.0)


def surname_pool() -> tuple[tuple[str, ...], np.ndarray]:
    """The common surnames at their published frequency; the rest of the population shares out evenly
    over the other real (British-rooted) surnames in Faker's en_GB and en_NZ lists."""
    head = {row["surname"]: float(row["per_100000"]) for row in reference_rows("surnames.csv")}
    tail = [name for name in dict.fromkeys([*BritishNames.last_names, *NewZealandNames.last_names]) if name not in head]
    tail_each = (100_000 - sum(head.values())) / len(tail)
    names = (*head, *tail)
    return names, cumulative([*head.values(), *[tail_each] * len(tail)])


@lru_cache(maxsize=1)
def pools() -> Pools:
    fake = Faker("en_GB")
    fake.seed_instance(POOL_SEED)
    surnames, surname_cum = surname_pool()
    forenames = {}
    for row in reference_rows("forenames.csv"):
        names = tuple(row["names_by_rank"].split())
        forenames[int(row["decade"]), row["sex"]] = (names, cumulative(rank_shares(len(names))))
    population = reference_rows("england_population.csv")
    male = np.array([float(r["male"]) for r in population])
    female = np.array([float(r["female"]) for r in population])
    return Pools(
        surnames=surnames,
        surname_cum=surname_cum,
        forenames=forenames,
        age_cum=cumulative(male + female),
        female_by_age=female / (male + female),
        districts=Districts.load(),
        streets=tuple(f"{stem} {kind}" for stem in STREET_STEMS for kind in STREET_KINDS),
        landlines=tuple(fake.phone_number() for _ in range(PHONE_POOL_SIZE)),
        mobiles=tuple(fake.cellphone_number() for _ in range(PHONE_POOL_SIZE)),
    )
