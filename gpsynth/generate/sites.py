"""The practice organisation, its surgeries (Locations) and the consumer organisations."""

from __future__ import annotations

import random

from ..identifiers import derive_seed
from ..plan import PracticePlan
from ..records import Address, Location, Organization
from ..scenario import Consumer, Scenario
from .pools import Pools

PRACTICE_NAME_PATTERNS = ("{town} Surgery", "{town} Medical Centre", "{street} Health Centre", "{family} and Partners")


def practice_district(rng: random.Random, pools: Pools, network: int | None = None) -> int:
    """The postcode district a practice sits in (an index into pools.districts): anywhere, or the district of
    its network's centre or one of its neighbours."""
    if network is None:
        return rng.randrange(len(pools.districts.codes))
    return rng.choice((network, *pools.districts.neighbours(network)))


def network_district(seed: int, pools: Pools) -> int:
    """The district at the centre of a dataset's primary care network."""
    return random.Random(derive_seed(seed, "network")).randrange(len(pools.districts.codes))


def anywhere(rng: random.Random, pools: Pools) -> Address:
    return pools.address(rng, practice_district(rng, pools))


def practice_organization(rng: random.Random, pools: Pools, practice: PracticePlan, district: int) -> Organization:
    fixed = practice.fixed
    town = pools.districts.towns[district]
    street = rng.choice(pools.streets)
    name = rng.choice(PRACTICE_NAME_PATTERNS).format(town=town, street=street, family=pools.family_name(rng))
    return Organization(
        id=(fixed.id if fixed and fixed.id else practice.ods_code),
        ods_code=practice.ods_code,
        name=(fixed.name if fixed and fixed.name else name),
        org_type="gp-practice",
        phone=rng.choice(pools.landlines),
        address=pools.address(rng, district),
        main_location_id=None,
    )


def practice_locations(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                       organization: Organization, district: int) -> list[Location]:
    """The main surgery at the practice's address; branches in its district or a neighbouring one."""
    nearby = (district, *pools.districts.neighbours(district))
    fixed_sites = practice.fixed.sites if practice.fixed else ()
    count = max(1 + scenario.practices.branch_sites, len(fixed_sites))
    locations = []
    for n in range(count):
        fixed = fixed_sites[n] if n < len(fixed_sites) else None
        default_name = f"{organization.name} {'Main' if n == 0 else 'Branch'} Surgery"
        locations.append(Location(
            id=(fixed.id if fixed and fixed.id else f"{practice.ods_code}-L{n + 1}"),
            name=(fixed.name if fixed and fixed.name else default_name),
            organization_id=organization.id,
            phone=organization.phone if n == 0 else rng.choice(pools.landlines),
            address=organization.address if n == 0 else pools.address(rng, rng.choice(nearby)),
            ods_site_code=fixed.ods_site_code if fixed else None,
        ))
    return locations


def consumer_organization(rng: random.Random, pools: Pools, consumer: Consumer) -> Organization:
    return Organization(
        id=consumer.ods,
        ods_code=consumer.ods,
        name=consumer.name,
        org_type=consumer.org_type,
        phone=rng.choice(pools.landlines),
        address=anywhere(rng, pools),
    )
