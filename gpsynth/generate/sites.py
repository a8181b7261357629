"""The practice organisation, its surgeries (Locations) and the consumer organisations."""

from __future__ import annotations

import random

from ..plan import PracticePlan
from ..records import Address, Location, Organization
from ..scenario import Consumer, Scenario
from .pools import Pools

PRACTICE_NAME_PATTERNS = ("{town} Surgery", "{town} Medical Centre", "{street} Health Centre", "{family} and Partners")


def address(rng: random.Random, pools: Pools) -> Address:
    return rng.choice(pools.addresses)


def practice_organization(rng: random.Random, pools: Pools, practice: PracticePlan) -> Organization:
    fixed = practice.fixed
    town = rng.choice(pools.towns)
    street = rng.choice(pools.streets).split("\n")[-1].split(" ", 1)[-1]
    name = rng.choice(PRACTICE_NAME_PATTERNS).format(town=town, street=street, family=pools.family_name(rng))
    return Organization(
        id=(fixed.id if fixed and fixed.id else practice.ods_code),
        ods_code=practice.ods_code,
        name=(fixed.name if fixed and fixed.name else name),
        org_type="gp-practice",
        phone=rng.choice(pools.landlines),
        address=address(rng, pools),
        main_location_id=None,
    )


def practice_locations(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                       organization: Organization) -> list[Location]:
    fixed_sites = practice.fixed.sites if practice.fixed else ()
    count = max(1 + scenario.branch_sites, len(fixed_sites))
    locations = []
    for n in range(count):
        fixed = fixed_sites[n] if n < len(fixed_sites) else None
        default_name = f"{organization.name} {'Main' if n == 0 else 'Branch'} Surgery"
        locations.append(Location(
            id=(fixed.id if fixed and fixed.id else f"{practice.ods_code}-L{n + 1}"),
            name=(fixed.name if fixed and fixed.name else default_name),
            organization_id=organization.id,
            phone=organization.phone if n == 0 else rng.choice(pools.landlines),
            address=organization.address if n == 0 else address(rng, pools),
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
        address=address(rng, pools),
    )
