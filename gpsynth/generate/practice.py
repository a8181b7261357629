"""Generate one shard: a practice's sites, staff, rota, slots, patients and appointments."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from functools import partial

import numpy as np

from ..calendar import days_between
from ..identifiers import derive_seed
from ..plan import Plan, PracticePlan
from ..records import AppointmentColumns, Shard, SlotColumns
from .bookings import Booker
from .patients import practice_patients
from .pools import pools
from .rota import practice_open, schedule_slots, worked_sessions
from .routes import DeskDays
from .sites import (consumer_organization, network_district, practice_district, practice_locations,
                    practice_organization)
from .staff import practitioners, schedules


def practice_shard(plan: Plan, practice: PracticePlan) -> Shard:
    scenario, as_of = plan.scenario, plan.as_of
    # Separate generators per concern, so changing one rule does not reshuffle the others.
    rng = {part: random.Random(derive_seed(practice.seed, part)) for part in ("sites", "staff", "rota", "patients")}
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
    consumers = [consumer_organization(random.Random(derive_seed(plan.seed, "consumer", c.ods)), name_pools, c)
                 for c in plan.consumers]
    desk = DeskDays(first_day - timedelta(days=scenario.availability.booking_window.max_days_ahead), last_day,
                    partial(practice_open, scenario))
    booker = Booker(np.random.default_rng(derive_seed(practice.seed, "bookings")), scenario, as_of, organization,
                    consumers, shard.patients, f"{practice.ods_code}-A", desk)
    # The rota first (who works which session), then its slots, then the bookings demand makes.
    slot_rng, rota_slots, numbered = np.random.default_rng(derive_seed(practice.seed, "slots")), [], 1
    for schedule, group in rota:
        worked = worked_sessions(rng["rota"], scenario, group, days)
        slots = schedule_slots(slot_rng, scenario, schedule, group, worked, numbered, f"{practice.ods_code}-S")
        rota_slots.append((schedule, group, slots))
        numbered += len(slots)
    booker.plan_days([slots for *_, slots in rota_slots], days)
    shard.appointments = AppointmentColumns.concat([booker.book_schedule(schedule, group, slots)
                                                   for schedule, group, slots in rota_slots], booker.orgs)
    shard.slots = SlotColumns.concat([slots for *_, slots in rota_slots],
                                     [(r.org_types, r.ods_codes) for r in scenario.availability.restrictions])
    return shard


def consumer_shard(plan: Plan) -> Shard:
    """The booking organisations that are not practices of the dataset, ahead of every practice."""
    name_pools = pools()
    shard = Shard("consumers")
    shard.organizations = [consumer_organization(random.Random(derive_seed(plan.seed, "consumer", c.ods)), name_pools, c)
                           for c in plan.consumers]
    return shard
