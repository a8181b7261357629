"""Booking rules: which slots are booked, by which route and patient, for how many slots, and what became of it."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, time
from itertools import accumulate

from ..calendar import london_instant
from ..records import Appointment, BookingOrganisation, Organization, PatientColumns, Schedule, Slot
from ..scenario import Scenario, StaffGroup
from . import routes
from .demand import age_on, day_fill, patient_rates, slot_fill
from .reasons import reason_for

COMMENTS = (
    "Patient prefers a call after 10am.", "Patient will bring their current medication.",
    "Interpreter not required.", "Patient asked for the first available appointment.",
    "Booked after a telephone triage call.", "Wheelchair access needed at the surgery.",
)
CLINICIAN_UNAVAILABLE = "Clinician unavailable"
PATIENT_TRIES = 6   # draws of a patient before a slot is left free (everyone likely is busy that day)


def visible_to(slot: Slot, org: BookingOrganisation) -> bool:
    """GP Connect 1.2.7 restriction rules: each restriction either absent or matching."""
    return slot.bookable and (not slot.restrict_org_types or org.org_type in slot.restrict_org_types) and (
        not slot.restrict_ods_codes or org.ods_code in slot.restrict_ods_codes)


def booking_organisation(org: Organization) -> BookingOrganisation:
    return BookingOrganisation(org.ods_code, org.name, org.org_type, org.phone)


def no_show_share(base: float, lead_days: int, age: int) -> float:
    """Longer leads and younger adults miss more appointments; same-day and older patients fewer."""
    lead_factor = 0.5 if lead_days == 0 else 1.0 if lead_days <= 7 else 1.7
    age_factor = 1.3 if 15 <= age < 45 else 0.7 if age >= 65 else 1.0
    return min(1.0, base * lead_factor * age_factor)


class Booker:
    """Books one practice's appointment book, schedule by schedule, in time order.

    "Now" is the start of the reference day (every resource's meta.lastUpdated): a slot is booked only
    if its booking was made before then, so today's on-the-day slots are still free.
    """

    def __init__(self, rng: random.Random, scenario: Scenario, as_of: date, practice: Organization,
                 consumers: list[Organization], patients: PatientColumns, next_id, is_open):
        self.rng, self.scenario, self.as_of, self.next_id, self.is_open = rng, scenario, as_of, next_id, is_open
        self.practice = booking_organisation(practice)
        self.consumers = [booking_organisation(c) for c in consumers]
        self.patients = patients
        rates = patient_rates(scenario, patients, as_of)
        self.yearly_demand = sum(rates)
        self.rate_cum = tuple(accumulate(rates))
        self.born = list(map(date.fromisoformat, patients.column("birth_date")))
        self.registered = list(map(date.fromisoformat, patients.column("registration_start")))
        self.busy_days: dict[int, set[date]] = {}
        self.fill: dict[date, float] = {}

    def plan_days(self, slots: list[Slot], days: list[date]) -> None:
        """Size each day's fill from the population's demand and the practice's whole rota."""
        self.fill = day_fill(self.scenario, self.yearly_demand, slots, days)

    def book_schedule(self, schedule: Schedule, group: StaffGroup, slots: list[Slot]) -> list[Appointment]:
        rng, scenario = self.rng, self.scenario
        appointments, i = [], 0
        while i < len(slots):
            slot = slots[i]
            day = date.fromisoformat(slot.start[:10])
            if not self.rate_cum or rng.random() >= slot_fill(scenario, self.fill.get(day, 0.0), slot.start):
                i += 1
                continue
            booker = self.choose_booker(slot)
            booking = self.when_booked(booker, slot, day)
            patient = self.choose_patient(day) if booking else None
            if booking is None or patient is None:
                i += 1
                continue
            run = [slot]
            if rng.random() < scenario.demand.multi_slot_share:
                wanted = rng.randint(2, max(2, scenario.demand.max_slots_per_appointment))
                while len(run) < wanted and i + len(run) < len(slots):
                    following = slots[i + len(run)]
                    if (following.start != run[-1].end or following.delivery_channel != slot.delivery_channel
                            or (booker is not self.practice and not visible_to(following, booker))):
                        break
                    run.append(following)
            appointments.append(self.appointment(schedule, group, run, booker, booking, patient, day))
            i += len(run)
        return appointments

    def choose_booker(self, slot: Slot) -> BookingOrganisation:
        if self.consumers and self.rng.random() < self.scenario.demand.consumer_share:
            allowed = [c for c in self.consumers if visible_to(slot, c)]
            if allowed:
                return self.rng.choice(allowed)
        return self.practice

    def when_booked(self, booker: BookingOrganisation, slot: Slot, day: date) -> tuple[int, date, time] | None:
        """(lead days, day, time) of the booking by this route; None if it is not made before now."""
        draw, scenario = self.rng.random, self.scenario
        start = time.fromisoformat(slot.start[11:19])
        if booker.org_type == "urgent-care":
            lead = 0 if draw() < 0.6 else 1
            made_day, made_at = routes.urgent_care_time(day, start, lead, draw())
        elif booker is not self.practice:
            made_day = routes.hub_day(day, routes.routine_lead(draw(), scenario.demand.routine_median_days, routes.HUB_LEAD_DAYS))
            made_at = routes.within(routes.HUB_HOURS, draw())
        else:
            if draw() < scenario.demand.same_day_share and self.is_open(day):
                made_day, made_at = day, routes.same_day_time(start, draw())
            else:
                lead = routes.routine_lead(draw(), scenario.demand.routine_median_days, scenario.availability.booking_window.max_days_ahead)
                made_day = routes.desk_day(date.fromordinal(day.toordinal() - lead), self.is_open)
                made_at = routes.within(routes.DESK_HOURS, draw(), skew=1.6)
        if made_day >= self.as_of or not routes.created_by(made_day, made_at, day, start):
            return None
        return (day - made_day).days, made_day, made_at

    def choose_patient(self, day: date) -> int | None:
        """A patient weighted by their demand, registered and born by then, with no other appointment that day."""
        total, cum, draw = self.rate_cum[-1], self.rate_cum, self.rng.random
        for _ in range(PATIENT_TRIES):
            n = bisect(cum, draw() * total)
            if n < len(cum) and self.registered[n] <= day and self.born[n] <= day and day not in self.busy_days.get(n, ()):
                return n
        return None

    def outcome(self, days_ahead: int, lead: int, age: int) -> str:
        draw = self.rng.random()
        if draw < self.scenario.demand.cancellation_share:
            return "cancelled"
        if days_ahead >= 0:
            return "booked"
        return "noshow" if self.rng.random() < no_show_share(self.scenario.demand.no_show_share, lead, age) else "fulfilled"

    def appointment(self, schedule: Schedule, group: StaffGroup, run: list[Slot], booker: BookingOrganisation,
                    booking: tuple[int, date, time], n: int, day: date) -> Appointment:
        rng = self.rng
        lead, made_day, made_at = booking
        patients = self.patients
        gender = patients.column("gender")[n]
        age = age_on(patients.column("birth_date")[n], day)
        status = self.outcome((day - self.as_of).days, lead, age)
        reason = rng.choice(self.scenario.demand.cancellation_reasons) if status == "cancelled" else None
        if status != "cancelled":
            self.busy_days.setdefault(n, set()).add(day)
        for slot in run:
            # A clinician's absence takes the slot out of the book; other cancellations free it again.
            slot.status = "busy-unavailable" if reason == CLINICIAN_UNAVAILABLE else "free" if reason else "busy"
        channel = run[0].delivery_channel
        return Appointment(
            id=self.next_id(),
            status=status,
            slot_ids=tuple(s.id for s in run),
            start=run[0].start,
            end=run[-1].end,
            minutes=group.slot_minutes * len(run),
            patient_id=patients.column("id")[n],
            location_id=schedule.location_id,
            practitioner_id=schedule.practitioner_id,
            schedule_id=schedule.id,
            organization_id=schedule.organization_id,
            role_code=schedule.role_code,
            delivery_channel=channel,
            schedule_type=schedule.schedule_type,
            slot_type=schedule.slot_type,
            booking_organisation=booker,
            description=reason_for(rng.random(), schedule.role_code, channel, gender, age),
            comment=rng.choice(COMMENTS) if rng.random() < 0.3 else None,
            created=london_instant(made_day, made_at),
            cancellation_reason=reason,
        )
