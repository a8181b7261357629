"""Booking rules: which slots are booked, by which route and patient, for how many slots, and what became of it.

A schedule is booked in three steps. Which slots demand fills, who books each and when are worked out
for the whole schedule at once, as arrays (one vector of draws per step). Then the bookings are made
in time order, one by one, as only they can be: a booking may take the next slots too, and a patient
books at most one appointment a day. Every slot or booking the rules look at gets its draws, used or
not, so the draws never depend on which way a rule went.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import ArrayLike

from ..calendar import london_instants, ordinals
from ..records import SLOT_STATUSES, AppointmentColumns, BookingOrganisation, Organization, PatientColumns, Schedule, SlotColumns
from ..scenario import Scenario, StaffGroup
from . import routes
from .demand import age_in_years, day_fill, patient_rates, slot_fill
from .reasons import reason_for

COMMENTS = (
    "Patient prefers a call after 10am.", "Patient will bring their current medication.",
    "Interpreter not required.", "Patient asked for the first available appointment.",
    "Booked after a telephone triage call.", "Wheelchair access needed at the surgery.",
)
CLINICIAN_UNAVAILABLE = "Clinician unavailable"
PATIENT_TRIES = 6   # draws of a patient before a slot is left free (everyone likely is busy that day)
FREE, BUSY, UNAVAILABLE = (SLOT_STATUSES.index(s) for s in ("free", "busy", "busy-unavailable"))


def visible_to(access: int, restrictions: Sequence[tuple[tuple[str, ...], tuple[str, ...]]], org: BookingOrganisation) -> bool:
    """GP Connect 1.2.7 restriction rules for a slot of this access (see SlotColumns): each restriction
    either absent or matching."""
    if access < 2:
        return access == 1
    org_types, ods_codes = restrictions[access - 2]
    return (not org_types or org.org_type in org_types) and (not ods_codes or org.ods_code in ods_codes)


def booking_organisation(org: Organization) -> BookingOrganisation:
    return BookingOrganisation(org.ods_code, org.name, org.org_type, org.phone)


def no_show_share(base: float, lead_days: ArrayLike, age: ArrayLike) -> np.ndarray:
    """Longer leads and younger adults miss more appointments; same-day and older patients fewer."""
    lead, years = np.asarray(lead_days), np.asarray(age)
    lead_factor = np.where(lead == 0, 0.5, np.where(lead <= 7, 1.0, 1.7))
    age_factor = np.where((15 <= years) & (years < 45), 1.3, np.where(years >= 65, 0.7, 1.0))
    return np.minimum(1.0, base * lead_factor * age_factor)


class Booker:
    """Books one practice's appointment book, schedule by schedule, in time order.

    "Now" is the start of the reference day (every resource's meta.lastUpdated): a slot is booked only
    if its booking was made before then, so today's on-the-day slots are still free. Booking
    organisations are numbered: the consumers in order, then the practice itself.
    """

    def __init__(self, rng: np.random.Generator, scenario: Scenario, as_of: date, practice: Organization,
                 consumers: list[Organization], patients: PatientColumns, id_prefix: str, desk: routes.DeskDays):
        self.rng, self.scenario, self.as_of, self.desk = rng, scenario, as_of, desk
        self.id_prefix, self.numbered = id_prefix, 1     # appointments are numbered across the practice
        self.orgs = [*(booking_organisation(c) for c in consumers), booking_organisation(practice)]
        self.practice = len(self.orgs) - 1
        self.urgent = np.array([org.org_type == "urgent-care" for org in self.orgs])
        self.patients = patients
        rates = patient_rates(scenario, patients, as_of)
        self.yearly_demand = float(rates.sum())
        self.rate_cum = np.cumsum(rates)
        self.born, self.registered = ordinals(patients.column("birth_date")), ordinals(patients.column("registration_start"))
        self.busy_days: dict[int, set[int]] = {}
        self.first_day, self.fill = 0, np.zeros(0)

    def plan_days(self, slots: list[SlotColumns], days: list[date]) -> None:
        """Size each day's fill from the population's demand and the practice's whole rota."""
        found, counts = np.unique(np.concatenate([s.array("day") for s in slots] or [np.zeros(0, np.int32)]),
                                  return_counts=True)
        capacity = {date.fromordinal(int(d)): int(n) for d, n in zip(found, counts, strict=True)}
        fill = day_fill(self.scenario, self.yearly_demand, capacity, days)
        self.first_day = days[0].toordinal() if days else 0
        self.fill = np.array([fill.get(day, 0.0) for day in days])

    def sees(self, restrictions: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[list[bool]]:
        """For each slot access, which booking organisations may book it (the practice books any slot)."""
        return [[o == self.practice or visible_to(access, restrictions, org) for o, org in enumerate(self.orgs)]
                for access in range(len(restrictions) + 2)]

    def book_schedule(self, schedule: Schedule, group: StaffGroup, slots: SlotColumns) -> AppointmentColumns:
        n = len(slots)
        if not n or not len(self.rate_cum) or not self.rate_cum[-1]:
            return AppointmentColumns.concat([], self.orgs)
        day, start = slots.array("day"), slots.array("start_minute")
        filled = self.rng.random(n) < slot_fill(self.scenario, self.fill[day - self.first_day], start < 12 * 60)
        candidates = np.flatnonzero(filled)
        sees = np.asarray(self.sees(slots.restrictions))
        org = self.choose_bookers(sees[slots.array("access")[candidates]], self.rng.random((len(candidates), 2)))
        made_day, made_minute = self.when_booked(org, day[candidates], start[candidates],
                                                 self.rng.random((len(candidates), 4)))
        before_now = (made_day < self.as_of.toordinal()) & routes.created_by(made_day, made_minute, day[candidates],
                                                                             start[candidates])
        booked, org = candidates[before_now], org[before_now]
        made_day, made_minute = made_day[before_now], made_minute[before_now]
        patients = self.patient_choices(day[booked], self.rng.random((len(booked), PATIENT_TRIES)))
        draws = self.rng.random((len(booked), 8))
        made = self.take_slots(slots, booked, org, patients, draws)
        if not made:
            return AppointmentColumns.concat([], self.orgs)
        which, runs, patient = (np.array(column, dtype=np.int64) for column in zip(*made, strict=True))
        return self.appointments(schedule, group, slots, booked[which], runs, patient, org[which], made_day[which],
                                 made_minute[which], draws[which, 2:])

    def take_slots(self, slots: SlotColumns, booked: np.ndarray, org: np.ndarray, patients: np.ndarray,
                   draws: np.ndarray) -> list[tuple[int, int, int]]:
        """(booking, slots taken, patient) of each booking made, in time order: the first patient drawn who
        is not busy that day books, maybe the following slots too (`draws`: several slots, how many,
        cancelled). A booking whose slot an earlier one took, or that finds no patient, is not made."""
        demand, n = self.scenario.demand, len(slots)
        day, access = slots.array("day").tolist(), slots.array("access").tolist()
        starts, ends, channels = slots.column("start"), slots.column("end"), slots.column("delivery_channel")
        sees = self.sees(slots.restrictions)
        most = max(2, demand.max_slots_per_appointment)
        made: list[tuple[int, int, int]] = []
        free_from = 0
        for j, (i, booker, drawn, (multi, wanted, cancel, *_)) in enumerate(
                zip(booked.tolist(), org.tolist(), patients.tolist(), draws.tolist(), strict=True)):
            if i < free_from:
                continue
            patient = next((p for p in drawn if p >= 0 and day[i] not in self.busy_days.get(p, ())), None)
            if patient is None:
                continue
            run = 1
            if multi < demand.multi_slot_share:
                wanted_slots = 2 + int(wanted * (most - 1))
                while (run < wanted_slots and i + run < n and starts[i + run] == ends[i + run - 1]
                       and channels[i + run] == channels[i] and sees[access[i + run]][booker]):
                    run += 1
            if cancel >= demand.cancellation_share:
                self.busy_days.setdefault(patient, set()).add(day[i])
            made.append((j, run, patient))
            free_from = i + run
        return made

    def choose_bookers(self, sees: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """The booking organisation of each slot: a consumer that may book it with the consumer share (any
        of them alike), else the practice. `sees`: per slot, which organisations may book it."""
        consumers = sees[:, :self.practice]
        allowed = consumers.sum(axis=1)
        wanted = (draws[:, 0] < self.scenario.demand.consumer_share) & (allowed > 0)
        nth = np.minimum((draws[:, 1] * allowed).astype(np.int64), np.maximum(allowed - 1, 0))
        # The position of each slot's nth allowed consumer: the first where the running count passes nth.
        picked = (np.cumsum(consumers, axis=1) > nth[:, None]).argmax(axis=1) if self.practice else nth
        return np.where(wanted, picked, self.practice)

    def when_booked(self, org: np.ndarray, day: np.ndarray, start: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(day ordinal, minute) each booking was made by its organisation's route."""
        scenario = self.scenario
        median, most = scenario.demand.routine_median_days, scenario.availability.booking_window.max_days_ahead
        urgent_lead = (draws[:, 0] >= 0.6).astype(np.int64)
        urgent_day, urgent_minute = routes.urgent_care_time(day, start, urgent_lead, draws[:, 1])
        hub_day = routes.hub_day(day, routes.routine_lead(draws[:, 0], median, routes.HUB_LEAD_DAYS))
        hub_minute = routes.within(routes.HUB_HOURS, draws[:, 1])
        same_day = (draws[:, 0] < scenario.demand.same_day_share) & self.desk.is_open(day)
        desk_day = np.where(same_day, day, self.desk(day - routes.routine_lead(draws[:, 1], median, most)))
        desk_minute = np.where(same_day, routes.same_day_time(start, draws[:, 2]),
                               routes.within(routes.DESK_HOURS, draws[:, 3], skew=1.6))
        urgent, hub = self.urgent[org], (org != self.practice) & ~self.urgent[org]
        return (np.select([urgent, hub], [urgent_day, hub_day], desk_day),
                np.select([urgent, hub], [urgent_minute, hub_minute], desk_minute))

    def patient_choices(self, day: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Per booking, PATIENT_TRIES patients drawn by their demand; -1 where the one drawn was not yet
        registered or born. The first of them not busy that day books."""
        drawn = np.searchsorted(self.rate_cum, draws * self.rate_cum[-1], side="right")
        found = np.minimum(drawn, len(self.rate_cum) - 1)
        eligible = (drawn < len(self.rate_cum)) & (self.registered[found] <= day[:, None]) & (self.born[found] <= day[:, None])
        return np.where(eligible, found, -1)

    def appointments(self, schedule: Schedule, group: StaffGroup, slots: SlotColumns, first: np.ndarray, runs: np.ndarray,
                     patient: np.ndarray, org: np.ndarray, made_day: np.ndarray, made_minute: np.ndarray,
                     draws: np.ndarray) -> AppointmentColumns:
        """The appointments made, each taking `runs` slots from `first`; `draws` per appointment: cancelled,
        missed, cancellation reason, description, comment (2). Their slots are marked busy (or free again)."""
        demand, as_of, k = self.scenario.demand, self.as_of.toordinal(), len(first)
        day = slots.array("day")[first].astype(np.int64)
        age = age_in_years(self.born[patient], day)
        no_show = draws[:, 1] < no_show_share(demand.no_show_share, day - made_day, age)
        status = np.where(draws[:, 0] < demand.cancellation_share, "cancelled",
                          np.where(day >= as_of, "booked", np.where(no_show, "noshow", "fulfilled"))).tolist()
        reasons = demand.cancellation_reasons
        reason = [reasons[int(d * len(reasons))] if s == "cancelled" else None
                  for d, s in zip(draws[:, 2].tolist(), status, strict=True)]
        # A clinician's absence takes the slot out of the book; other cancellations free it again.
        marks = [UNAVAILABLE if r == CLINICIAN_UNAVAILABLE else FREE if r else BUSY for r in reason]
        taken = np.repeat(first, runs) + (np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs, runs))
        slots.columns["status"][taken] = np.repeat(marks, runs)
        ids, starts, ends, channels = (slots.column(name) for name in ("id", "start", "end", "delivery_channel"))
        patient_ids, genders = self.patients.column("id"), self.patients.column("gender")
        starting, runs_list, patients = first.tolist(), runs.tolist(), patient.tolist()
        channel = [channels[i] for i in starting]
        role = schedule.role_code
        self.numbered += k
        return AppointmentColumns({
            "id": [f"{self.id_prefix}{n}" for n in range(self.numbered - k, self.numbered)],
            "status": status,
            "slot_ids": [tuple(ids[i:i + run]) for i, run in zip(starting, runs_list, strict=True)],
            "start": [starts[i] for i in starting],
            "end": [ends[i + run - 1] for i, run in zip(starting, runs_list, strict=True)],
            "minutes": (runs * group.slot_minutes).tolist(),
            "patient_id": [patient_ids[n] for n in patients],
            "location_id": [schedule.location_id] * k,
            "practitioner_id": [schedule.practitioner_id] * k,
            "schedule_id": [schedule.id] * k,
            "organization_id": [schedule.organization_id] * k,
            "role_code": [role] * k,
            "delivery_channel": channel,
            "schedule_type": [schedule.schedule_type] * k,
            "slot_type": [schedule.slot_type] * k,
            "booker": org.tolist(),
            "description": [reason_for(d, role, c, genders[n], years) for d, c, n, years
                            in zip(draws[:, 3].tolist(), channel, patients, age.tolist(), strict=True)],
            "comment": [COMMENTS[int(which * len(COMMENTS))] if d < 0.3 else None
                        for d, which in zip(draws[:, 4].tolist(), draws[:, 5].tolist(), strict=True)],
            "created": london_instants(made_day.tolist(), made_minute.tolist()),
            "cancellation_reason": reason,
        }, self.orgs)
