"""Generate one shard: a practice's sites, staff, rota, slots, patients and appointments."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache, partial
import random
from datetime import timedelta
from itertools import count

from ..calendar import days_between
from ..identifiers import derive_seed
from ..plan import Plan, PracticePlan
from ..records import Shard
from .bookings import Booker
from .patients import practice_patients
from .pools import pools
from .rota import SlotTimes, practice_open, schedule_slots, worked_sessions
from .sites import (consumer_organization, network_district, practice_district, practice_locations,
                    practice_organization)
from .staff import practitioners, schedules


def id_counter(prefix: str) -> Callable[[], str]:
    """prefix1, prefix2, ...: ids stable for a given plan, whatever process generates the shard."""
    return map(f"{prefix}{{}}".format, count(1)).__next__


def practice_shard(plan: Plan, practice: PracticePlan) -> Shard:
    scenario, as_of = plan.scenario, plan.as_of
    # Separate generators per concern, so changing one rule does not reshuffle the others.
    rng = {part: random.Random(derive_seed(practice.seed, part)) for part in ("sites", "staff", "rota", "patients", "bookings")}
    name_pools = pools()
    shard = Shard(practice.ods_code)

    network = network_district(plan.seed, name_pools) if scenario.practices.area == "network" else None
    district = practice_district(rng["sites"], name_pools, network)
    organization = practice_organization(rng["sites"], name_pools, practice, district)
    shard.locations = practice_locations(rng["sites"], name_pools, scenario, practice, organization, district)
    organization = dataclasses.replace(organization, main_location_id=shard.locations[0].id)
    shard.organizations = [organization]

    people = practitioners(rng["staff"], name_pools, scenario, practice, organization.id)
    shard.practitioners = [person for person, _ in people]
    first_day = as_of - timedelta(days=scenario.calendar.history_days)
    last_day = as_of + timedelta(days=scenario.calendar.horizon_days - 1)
    rota = schedules(people, shard.locations, first_day.isoformat(), last_day.isoformat(), practice.ods_code)
    shard.schedules = [schedule for schedule, _ in rota]

    shard.patients = practice_patients(rng["patients"], name_pools, scenario, practice, as_of, organization.id,
                                       shard.locations, shard.practitioners, district)

    days = list(days_between(first_day, last_day))
    slot_times, next_slot_id = SlotTimes(), id_counter(f"{practice.ods_code}-S")
    consumers = [consumer_organization(random.Random(derive_seed(plan.seed, "consumer", c.ods)), name_pools, c)
                 for c in plan.consumers]
    booker = Booker(rng["bookings"], scenario, as_of, organization, consumers, shard.patients,
                    id_counter(f"{practice.ods_code}-A"), cache(partial(practice_open, scenario)))
    # The rota first (who works which session), then its slots, then the bookings demand makes.
    rota_slots = [(schedule, group, schedule_slots(rng["rota"], scenario, schedule, group,
                                                   worked_sessions(rng["rota"], scenario, group, days),
                                                   slot_times, next_slot_id))
                  for schedule, group in rota]
    booker.plan_days([slot for *_, slots in rota_slots for slot in slots], days)
    for schedule, group, slots in rota_slots:
        shard.appointments.extend(booker.book_schedule(schedule, group, slots))
        shard.slots.extend(slots)
    return shard


def consumer_shard(plan: Plan) -> Shard:
    """The booking organisations that are not practices of the dataset, ahead of every practice."""
    name_pools = pools()
    shard = Shard("consumers")
    shard.organizations = [consumer_organization(random.Random(derive_seed(plan.seed, "consumer", c.ods)), name_pools, c)
                           for c in plan.consumers]
    return shard
