"""Demand rules: which slots are booked, by whom, for how many slots, and what became of it."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from ..calendar import london_instant
from ..records import Appointment, BookingOrganisation, Organization, Patient, Schedule, Slot
from ..scenario import Scenario, StaffGroup

DESCRIPTIONS = (
    "Medication review", "Follow-up appointment", "Blood pressure check", "Annual asthma review",
    "Diabetes review", "New problem", "Test results discussion", "Routine check-up", "Blood test",
    "Wound dressing", "Vaccination", "Contraception review", "Travel advice", "Fit note review",
)
COMMENTS = (
    "Patient prefers a call after 10am.", "Patient will bring their current medication.",
    "Interpreter not required.", "Patient asked for the first available appointment.",
    "Booked after a telephone triage call.", "Wheelchair access needed at the surgery.",
)


def fill_rate(scenario: Scenario, days_ahead: int) -> float:
    """Share of slots booked this many days ahead: linear between the scenario's points."""
    if days_ahead < 0:
        return scenario.past_fill_rate
    points = scenario.fill_rate
    if days_ahead <= points[0][0]:
        return points[0][1]
    for (d0, r0), (d1, r1) in zip(points, points[1:]):
        if days_ahead <= d1:
            return r0 + (r1 - r0) * (days_ahead - d0) / (d1 - d0)
    return points[-1][1]


def visible_to(slot: Slot, org: BookingOrganisation) -> bool:
    """GP Connect 1.2.7 restriction rules: each restriction either absent or matching."""
    return slot.bookable and (not slot.restrict_org_types or org.org_type in slot.restrict_org_types) and (
        not slot.restrict_ods_codes or org.ods_code in slot.restrict_ods_codes)


def booking_organisation(org: Organization) -> BookingOrganisation:
    return BookingOrganisation(org.ods_code, org.name, org.org_type, org.phone)


class Booker:
    """Books one practice's appointment book, schedule by schedule, in time order."""

    def __init__(self, rng: random.Random, scenario: Scenario, as_of: date, practice: Organization,
                 consumers: list[Organization], patients: list[Patient], next_id):
        self.rng, self.scenario, self.as_of, self.next_id = rng, scenario, as_of, next_id
        self.practice = booking_organisation(practice)
        self.consumers = [booking_organisation(c) for c in consumers]
        self.patients = [p for p in patients if p.state in ("normal", "sensitive")]

    def book_schedule(self, schedule: Schedule, group: StaffGroup, slots: list[Slot]) -> list[Appointment]:
        rng, scenario = self.rng, self.scenario
        appointments, i = [], 0
        while i < len(slots):
            slot = slots[i]
            days_ahead = (date.fromisoformat(slot.start[:10]) - self.as_of).days
            if not self.patients or rng.random() >= fill_rate(scenario, days_ahead):
                i += 1
                continue
            booker = self.choose_booker(slot)
            run = [slot]
            if rng.random() < scenario.multi_slot_share:
                wanted = rng.randint(2, max(2, scenario.max_slots_per_appointment))
                while len(run) < wanted and i + len(run) < len(slots):
                    following = slots[i + len(run)]
                    if (following.start != run[-1].end or following.delivery_channel != slot.delivery_channel
                            or (booker is not self.practice and not visible_to(following, booker))):
                        break
                    run.append(following)
            appointments.append(self.appointment(schedule, group, run, booker, days_ahead))
            i += len(run)
        return appointments

    def choose_booker(self, slot: Slot) -> BookingOrganisation:
        if self.consumers and self.rng.random() < self.scenario.consumer_share:
            allowed = [c for c in self.consumers if visible_to(slot, c)]
            if allowed:
                return self.rng.choice(allowed)
        return self.practice

    def outcome(self, days_ahead: int) -> str:
        draw = self.rng.random()
        if draw < self.scenario.cancellation_share:
            return "cancelled"
        if days_ahead >= 0:
            return "booked"
        return "noshow" if draw < self.scenario.cancellation_share + self.scenario.no_show_share else "fulfilled"

    def appointment(self, schedule: Schedule, group: StaffGroup, run: list[Slot], booker: BookingOrganisation,
                    days_ahead: int) -> Appointment:
        rng = self.rng
        status = self.outcome(days_ahead)
        if status != "cancelled":
            for slot in run:
                slot.status = "busy"
        start_day = date.fromisoformat(run[0].start[:10])
        created_day = min(self.as_of, start_day - timedelta(days=1)) - timedelta(days=rng.randint(0, 14))
        return Appointment(
            id=self.next_id(),
            status=status,
            slot_ids=tuple(s.id for s in run),
            start=run[0].start,
            end=run[-1].end,
            minutes=group.slot_minutes * len(run),
            patient_id=rng.choice(self.patients).id,
            location_id=schedule.location_id,
            practitioner_id=schedule.practitioner_id,
            schedule_id=schedule.id,
            organization_id=schedule.organization_id,
            role_code=schedule.role_code,
            delivery_channel=run[0].delivery_channel,
            schedule_type=schedule.schedule_type,
            slot_type=schedule.slot_type,
            booking_organisation=booker,
            description=rng.choice(DESCRIPTIONS),
            comment=rng.choice(COMMENTS) if rng.random() < 0.3 else None,
            created=london_instant(created_day, time(rng.randint(8, 17), rng.randrange(0, 60, 5))),
            cancellation_reason=rng.choice(self.scenario.cancellation_reasons) if status == "cancelled" else None,
        )
