"""Pools of UK names, addresses and phone numbers, drawn from Faker en_GB once per process.

Calling Faker per patient costs about 100 µs; drawing from pools with the shard's own random
generator costs about 2 µs and keeps every shard's output independent of which process ran it.
The pools come from a fixed seed, so every process builds the same pools.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from faker import Faker
from faker.providers.person.en_GB import Provider as Names

from ..records import Address

POOL_SEED = 20200505  # GP Connect 1.2.7's release date; any constant will do
POOL_SIZE = 4000


@dataclass(frozen=True)
class Pools:
    family_names: tuple[str, ...]
    family_weights: tuple[float, ...]   # cumulative, for random.choices
    given_female: tuple[str, ...]
    given_male: tuple[str, ...]
    addresses: tuple[Address, ...]
    streets: tuple[str, ...]
    towns: tuple[str, ...]
    landlines: tuple[str, ...]
    mobiles: tuple[str, ...]

    def family_name(self, rng: random.Random) -> str:
        return self.family_names[bisect(self.family_weights, rng.random() * self.family_weights[-1])]

    def given_name(self, rng: random.Random, gender: str) -> str:
        return rng.choice(self.given_female if gender == "female" else self.given_male)


@lru_cache(maxsize=1)
def pools() -> Pools:
    fake = Faker("en_GB")
    fake.seed_instance(POOL_SEED)
    families = tuple(Names.last_names)
    streets = tuple(fake.street_address() for _ in range(POOL_SIZE // 4))
    towns = tuple(fake.city() for _ in range(POOL_SIZE // 8))
    districts = tuple(fake.county() for _ in range(POOL_SIZE // 40))
    pick = random.Random(POOL_SEED).choice
    addresses = tuple(
        Address(tuple(pick(streets).split("\n")), pick(towns), pick(districts), fake.postcode())
        for _ in range(POOL_SIZE))
    return Pools(
        family_names=families,
        family_weights=tuple(accumulate(Names.last_names[name] for name in families)),
        given_female=tuple(Names.first_names_female),
        given_male=tuple(Names.first_names_male),
        addresses=addresses,
        streets=streets,
        towns=towns,
        landlines=tuple(fake.phone_number() for _ in range(POOL_SIZE)),
        mobiles=tuple(fake.cellphone_number() for _ in range(POOL_SIZE)),
    )
