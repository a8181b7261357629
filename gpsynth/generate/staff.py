"""Clinicians from the role mix, with SDS identifiers, and one schedule (rota) each."""

from __future__ import annotations

import random

from ..plan import PracticePlan
from ..records import Location, Practitioner, Schedule
from ..scenario import Scenario, StaffGroup
from .pools import Pools

DOCTOR_ROLES = {"R0260", "R0270", "R6200", "R6300"}


def practitioners(rng: random.Random, pools: Pools, scenario: Scenario, practice: PracticePlan,
                  organization_id: str) -> list[tuple[Practitioner, StaffGroup]]:
    """Each clinician with the staff group whose rules they work to; groups sized per 10,000 follow the list."""
    fixed_people = practice.fixed.practitioners if practice.fixed else ()
    people: list[tuple[Practitioner, StaffGroup]] = []
    for group in scenario.staff:
        for _ in range(group.headcount(practice.list_size)):
            n = len(people)
            fixed = fixed_people[n] if n < len(fixed_people) else None
            gender = (fixed.gender if fixed and fixed.gender else ("female" if rng.random() < group.female_share else "male"))
            profile_count = rng.choice((1, 1, 2))
            generated_profiles = tuple(f"8{practice.index:07d}{n:03d}{k}" for k in range(profile_count))
            default_prefix = "Dr" if group.role_code in DOCTOR_ROLES else ("Ms" if gender == "female" else "Mr")
            person = Practitioner(
                id=(fixed.id if fixed and fixed.id else f"{practice.ods_code}-PR{n + 1}"),
                sds_user_id=(fixed.sds_user_id if fixed and fixed.sds_user_id else f"9{practice.index:07d}{n:04d}"),
                role_profile_ids=(fixed.role_profile_ids if fixed and fixed.role_profile_ids is not None else generated_profiles),
                family=(fixed.family if fixed and fixed.family else pools.family_name(rng)),
                given=(fixed.given if fixed and fixed.given else pools.given_name(rng, gender)),
                prefix=(fixed.prefix if fixed and fixed.prefix else default_prefix),
                gender=gender,
                role_code=group.role_code,
                organization_id=organization_id,
            )
            people.append((person, group))
    return people


def schedules(people: list[tuple[Practitioner, StaffGroup]], locations: list[Location], first_day: str,
              last_day: str, ods_code: str) -> list[tuple[Schedule, StaffGroup]]:
    """One schedule per clinician, at the surgeries in turn so branch sites are staffed too."""
    result = []
    for n, (person, group) in enumerate(people):
        location = locations[n % len(locations)]
        result.append((Schedule(
            id=f"{ods_code}-SC{n + 1}",
            practitioner_id=person.id,
            location_id=location.id,
            organization_id=location.organization_id,
            role_code=group.role_code,
            schedule_type=group.schedule_type,
            slot_type=group.slot_type,
            planning_start=first_day,
            planning_end=last_day,
        ), group))
    return result
