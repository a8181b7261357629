"""gpsynth's invariants over one rendition of a dataset, beyond what the FHIR models check.

Meta per profile, ids, references that resolve, Europe/London offsets, slots booked at most once and busy
exactly when booked, appointments that match their contiguous slots, cancellation reasons, NHS numbers and
text limits; and the consistency of a patient's record: no two live appointments of one patient overlap,
none before their registration or birth, registrations on or after 5 July 1948 and not before birth,
appointments created before they start and never after meta.lastUpdated, and a "Clinician unavailable"
cancellation leaves its slot busy-unavailable.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import orjson

from ..calendar import LONDON
from ..fhir import constants as c
from ..fhir.reading import extension
from ..identifiers import is_valid_nhs_number
from ..renditions import Problem

# Found in the compact JSON of a resource: faster than walking it, and ids and instants never hold quotes.
REFERENCE = re.compile(rb'"reference":"([^"]*)"')
INSTANT = re.compile(rb'"(\d{4}-\d{2}-\d{2}T[^"]*)"')
ACTIVE = frozenset({"booked", "arrived", "fulfilled", "noshow"})   # statuses that hold their slots
APPOINTMENT_STATUSES = ACTIVE | {"cancelled"}
SLOT_STATUSES = frozenset({"free", "busy", "busy-unavailable"})
CLINICIAN_UNAVAILABLE = "Clinician unavailable"   # a cancellation that takes the slot out of the book
NHS_BEGAN = date(1948, 7, 5)


def identity(resource: dict) -> tuple[str, str]:
    return str(resource.get("resourceType", "?")), str(resource.get("id", "?"))


def digest(compact: bytes) -> bytes:
    return hashlib.blake2b(compact, digest_size=16).digest()


def _text(resource: dict, key: str) -> str:
    value = resource.get(key)
    return value if isinstance(value, str) else ""


@lru_cache(maxsize=1 << 16)
def _instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _london_problem(value: str) -> str | None:
    """Why an instant is not a Europe/London wall-clock time with that date's offset, or None."""
    moment = _instant(value)
    if moment is None:
        return f"{value!r} is not an instant with a UTC offset"
    if moment.astimezone(LONDON).replace(tzinfo=None) != moment.replace(tzinfo=None):
        right = moment.replace(tzinfo=None).replace(tzinfo=LONDON).isoformat()
        return f"{value} does not carry Europe/London's offset for that wall-clock time (expected {right})"
    return None


def _target(reference: dict | None) -> tuple[str, str] | None:
    value = (reference or {}).get("reference", "")
    resource_type, _, resource_id = value.partition("/")
    return (resource_type, resource_id) if resource_id else None


@dataclass(frozen=True, slots=True)
class _SlotFacts:
    schedule_id: str
    start: str
    end: str
    status: str | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class _AppointmentFacts:
    id: str
    where: str
    status: str | None
    slot_ids: tuple[str, ...]
    start: str
    end: str
    minutes: int | None
    channel: str | None
    actors: dict
    created: str
    last_updated: str
    cancellation_reason: str | None


@dataclass(frozen=True, slots=True)
class _PatientFacts:
    birth_date: str
    registration_start: str


class DatasetChecks:
    """gpsynth's invariants over one rendition: fed resource by resource, judged across them in `finish`."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.counts: Counter = Counter()
        self.ids: dict[str, set[str]] = defaultdict(set)
        self.references: list[tuple[str, str, str, str, str]] = []     # where, type, id, target type, target id
        self.slots: dict[str, _SlotFacts] = {}
        self.schedules: dict[str, tuple[tuple[str, str] | None, ...]] = {}
        self.appointments: list[_AppointmentFacts] = []
        self.patients: dict[str, _PatientFacts] = {}
        self.nhs_numbers: dict[str, str] = {}
        self.digests: dict[tuple[str, str], bytes] = {}
        self.good_instants: set[bytes] = set()

    def problem(self, check: str, where: str, resource: dict, message: str) -> None:
        self.problems.append(Problem(check, where, *identity(resource), message))

    def add(self, resource: dict, where: str) -> None:
        resource_type, resource_id = identity(resource)
        if resource_type not in c.RESOURCE_TYPES:
            self.problem("read", where, resource, f"not a resource type gpsynth writes ({', '.join(c.RESOURCE_TYPES)})")
            return
        self.counts[resource_type] += 1
        if not c.RESOURCE_ID.fullmatch(resource_id):
            self.problem("id", where, resource, "the id must be 1-64 of A-Z a-z 0-9 - .")
            return
        if resource_id in self.ids[resource_type]:
            self.problem("id", where, resource, "another resource of this type has the same id")
        self.ids[resource_type].add(resource_id)
        compact = orjson.dumps(resource)
        self.digests[(resource_type, resource_id)] = digest(compact)
        try:
            self._meta(resource, where)
            self._strings(resource, resource_type, resource_id, compact, where)
            getattr(self, f"_{resource_type.lower()}", lambda *_: None)(resource, where)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            self.problem("shape", where, resource, f"an element has an unexpected shape, so checks stopped here: {exc!r}")

    def _meta(self, resource: dict, where: str) -> None:
        meta = resource.get("meta") or {}
        expected = c.PROFILE[resource["resourceType"]]
        if meta.get("profile") != [expected]:
            self.problem("meta", where, resource, f"meta.profile is {meta.get('profile')!r}; expected [{expected!r}]")
        if not isinstance(meta.get("versionId"), str) or not c.RESOURCE_ID.fullmatch(meta["versionId"]):
            self.problem("meta", where, resource, f"meta.versionId is {meta.get('versionId')!r}; expected a version id such as '1'")

    def _strings(self, resource: dict, resource_type: str, resource_id: str, compact: bytes, where: str) -> None:
        """References and instants, wherever they appear in the resource."""
        for raw in REFERENCE.findall(compact):
            value = raw.decode()
            if value.startswith("#"):
                if not any(str(r.get("id")) == value[1:] for r in resource.get("contained", ())):
                    self.problem("reference", where, resource, f"{value} names no contained resource")
                continue
            target_type, _, target_id = value.partition("/")
            if target_type not in c.RESOURCE_TYPES or not c.RESOURCE_ID.fullmatch(target_id):
                self.problem("reference", where, resource, f"{value!r} is not a Type/id reference to a dataset resource")
            else:
                self.references.append((where, resource_type, resource_id, target_type, target_id))
        for raw in INSTANT.findall(compact):
            if raw not in self.good_instants:
                if message := _london_problem(raw.decode()):
                    self.problem("time", where, resource, message)
                else:
                    self.good_instants.add(raw)

    def _schedule(self, resource: dict, where: str) -> None:
        actors = {t[0]: t for t in map(_target, resource.get("actor", ())) if t}
        self.schedules[resource["id"]] = (actors.get("Location"), actors.get("Practitioner"))

    def _slot(self, resource: dict, where: str) -> None:
        status = resource.get("status")
        if status not in SLOT_STATUSES:
            self.problem("slot", where, resource, f"status {status!r}; allowed: {', '.join(sorted(SLOT_STATUSES))}")
        start, end = _instant(_text(resource, "start")), _instant(_text(resource, "end"))
        if start and end and start >= end:
            self.problem("slot", where, resource, f"does not end ({resource['end']}) after it starts ({resource['start']})")
        channel = (extension(resource, c.EXT_DELIVERY_CHANNEL) or {}).get("valueCode")
        schedule = _target(resource.get("schedule"))
        self.slots[resource["id"]] = _SlotFacts(schedule[1] if schedule else "", _text(resource, "start"),
                                                _text(resource, "end"), status, channel)

    def _patient(self, resource: dict, where: str) -> None:
        numbers = [i.get("value", "") for i in resource.get("identifier", ()) if i.get("system") == c.NHS_NUMBER]
        if len(numbers) != 1:
            self.problem("nhs-number", where, resource, f"has {len(numbers)} NHS numbers; expected exactly one")
        for number in numbers:
            if not is_valid_nhs_number(number):
                self.problem("nhs-number", where, resource, f"NHS number {number!r} fails the modulus-11 check")
            elif number in self.nhs_numbers:
                self.problem("nhs-number", where, resource, f"NHS number {number} is also Patient/{self.nhs_numbers[number]}'s")
            else:
                self.nhs_numbers[number] = resource["id"]
        registration = next((e.get("valuePeriod") or {} for e in (extension(resource, c.EXT_REGISTRATION_DETAILS) or {})
                             .get("extension", ()) if e.get("url") == "registrationPeriod"), {})
        born, registered = _text(resource, "birthDate"), str(registration.get("start", ""))[:10]
        if registered and registered < NHS_BEGAN.isoformat():
            self.problem("registration", where, resource, f"registered on {registered}, before the NHS began on {NHS_BEGAN}")
        if registered and born and registered < born:
            self.problem("registration", where, resource, f"registered on {registered}, before their birth on {born}")
        self.patients[resource["id"]] = _PatientFacts(born, registered)

    def _appointment(self, resource: dict, where: str) -> None:
        for name, limit in c.TEXT_LIMITS.items():
            if len(_text(resource, name)) > limit:
                self.problem("text", where, resource, f"{name} has {len(resource[name])} characters; at most {limit} allowed")
        status = resource.get("status")
        reason = (extension(resource, c.EXT_CANCELLATION_REASON) or {}).get("valueString")
        if status not in APPOINTMENT_STATUSES:
            self.problem("appointment", where, resource, f"status {status!r}; allowed: {', '.join(sorted(APPOINTMENT_STATUSES))}")
        if status == "cancelled" and not reason:
            self.problem("cancellation", where, resource, "cancelled without a cancellation reason")
        if status != "cancelled" and reason:
            self.problem("cancellation", where, resource, f"carries a cancellation reason but its status is {status!r}")
        slot_ids = tuple(t[1] for t in map(_target, resource.get("slot", ())) if t and t[0] == "Slot")
        if not slot_ids:
            self.problem("appointment", where, resource, "books no slot")
        actors = dict(t for t in (_target(p.get("actor")) for p in resource.get("participant", ())) if t)
        self.appointments.append(_AppointmentFacts(
            resource["id"], where, status, slot_ids, _text(resource, "start"), _text(resource, "end"),
            resource.get("minutesDuration"), (extension(resource, c.EXT_DELIVERY_CHANNEL) or {}).get("valueCode"), actors,
            _text(resource, "created"), str((resource.get("meta") or {}).get("lastUpdated", "")), reason))

    def finish(self) -> list[Problem]:
        for where, resource_type, resource_id, target_type, target_id in self.references:
            if target_id not in self.ids[target_type]:
                self.problems.append(Problem("reference", where, resource_type, resource_id,
                                             f"{target_type}/{target_id} is not in the dataset"))
        holders = defaultdict(list)
        for appointment in self.appointments:
            if all(s in self.slots for s in appointment.slot_ids):
                self._appointment_slots(appointment)
            if appointment.status in ACTIVE:
                for slot_id in appointment.slot_ids:
                    holders[slot_id].append(appointment.id)
        for appointment in self.appointments:
            self._booking(appointment, holders)
            self._timeline(appointment)
        self._overlaps()
        return self.problems

    def _timeline(self, appointment: _AppointmentFacts) -> None:
        """Made before it starts and by meta.lastUpdated; not before the patient was born or registered."""
        def fail(message: str) -> None:
            self.problems.append(Problem("timeline", appointment.where, "Appointment", appointment.id, message))

        start, created, stamp = map(_instant, (appointment.start, appointment.created, appointment.last_updated))
        if created and start and created > start:
            fail(f"created {appointment.created}, after it starts at {appointment.start}")
        if created and stamp and created > stamp:
            fail(f"created {appointment.created}, after its meta.lastUpdated {appointment.last_updated}")
        patient = self.patients.get(appointment.actors.get("Patient", ""))
        if patient and start:
            day = start.astimezone(LONDON).date().isoformat()
            if patient.birth_date and day < patient.birth_date:
                fail(f"starts on {day}, before the patient's birth on {patient.birth_date}")
            if patient.registration_start and day < patient.registration_start:
                fail(f"starts on {day}, before the patient's registration on {patient.registration_start}")

    def _overlaps(self) -> None:
        """No patient holds two live appointments at once."""
        by_patient = defaultdict(list)
        for appointment in self.appointments:
            start, end = _instant(appointment.start), _instant(appointment.end)
            if appointment.status in ACTIVE and start and end and "Patient" in appointment.actors:
                by_patient[appointment.actors["Patient"]].append((start, end, appointment))
        for patient_id, held in by_patient.items():
            held.sort(key=lambda h: (h[0], h[1]))
            latest_end, latest = held[0][1], held[0][2]
            for start, end, appointment in held[1:]:
                if start < latest_end:
                    self.problems.append(Problem("overlap", appointment.where, "Appointment", appointment.id,
                                                 f"Patient/{patient_id} also holds Appointment/{latest.id} at this time"))
                if end > latest_end:
                    latest_end, latest = end, appointment

    def _appointment_slots(self, appointment: _AppointmentFacts) -> None:
        def fail(message: str) -> None:
            self.problems.append(Problem("appointment", appointment.where, "Appointment", appointment.id, message))

        slots = [self.slots[s] for s in appointment.slot_ids]
        if not slots:
            return
        if _instant(appointment.start) != _instant(slots[0].start):
            fail(f"starts at {appointment.start}, its first slot at {slots[0].start}")
        if _instant(appointment.end) != _instant(slots[-1].end):
            fail(f"ends at {appointment.end}, its last slot at {slots[-1].end}")
        for n in range(1, len(slots)):
            if _instant(slots[n - 1].end) != _instant(slots[n].start):
                fail(f"Slot/{appointment.slot_ids[n - 1]} ends at {slots[n - 1].end} but the next, "
                     f"Slot/{appointment.slot_ids[n]}, starts at {slots[n].start}: not contiguous")
        if len({s.schedule_id for s in slots}) > 1:
            fail(f"its slots belong to different schedules: {', '.join(sorted({s.schedule_id for s in slots}))}")
        channels = {s.channel for s in slots} | {appointment.channel}
        if len(channels) > 1:
            fail(f"its delivery channel and its slots' differ: {', '.join(sorted(map(str, channels)))}")
        start, end = _instant(appointment.start), _instant(appointment.end)
        if start and end and appointment.minutes != (end - start).total_seconds() / 60:
            fail(f"minutesDuration is {appointment.minutes}, but it lasts {(end - start).total_seconds() / 60:g} minutes")
        schedule_actors = self.schedules.get(slots[0].schedule_id)
        if schedule_actors:
            for actor in schedule_actors:
                if actor and appointment.actors.get(actor[0]) != actor[1]:
                    fail(f"its {actor[0]} is {appointment.actors.get(actor[0])}, its schedule's is {actor[1]}")

    def _booking(self, appointment: _AppointmentFacts, holders: dict[str, list[str]]) -> None:
        def fail(message: str) -> None:
            self.problems.append(Problem("booking", appointment.where, "Appointment", appointment.id, message))

        for slot_id in appointment.slot_ids:
            slot = self.slots.get(slot_id)
            if slot is None:
                continue
            if appointment.status in ACTIVE:
                if holders[slot_id][0] != appointment.id:
                    fail(f"Slot/{slot_id} is already booked by Appointment/{holders[slot_id][0]}")
                if slot.status != "busy":
                    fail(f"{appointment.status}, but Slot/{slot_id} is {slot.status!r}, not 'busy'")
            elif appointment.status == "cancelled" and not holders[slot_id]:
                expected = "busy-unavailable" if appointment.cancellation_reason == CLINICIAN_UNAVAILABLE else "free"
                if slot.status != expected:
                    fail(f"cancelled ({appointment.cancellation_reason}), but Slot/{slot_id} is {slot.status!r}, "
                         f"not {expected!r}, and no other appointment books it")
