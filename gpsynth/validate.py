"""Check a generated dataset against the FHIR STU3 models and gpsynth's own invariants.

`validate_dataset` reads a dataset's renditions (``ndjson/`` with its manifest, ``json/`` collection or
transaction Bundles, or a store) and checks each one as a dataset of its own; `check_resources` runs the same checks
on any resources. Problems are values; `report_renderables` turns a report into rich tables.

The models (fhir.resources 8.x) check structure and datatypes, not code bindings. The invariants check what
gpsynth promises on top: meta per profile, ids, references that resolve, Europe/London offsets, slots
booked at most once and busy exactly when booked, appointments that match their contiguous slots,
cancellation reasons, NHS numbers and text limits; and the consistency of a patient's record: no two
live appointments of one patient overlap, none before their registration or birth, registrations on or
after 5 July 1948 and not before birth, appointments created before they start and never after
meta.lastUpdated, and a "Clinician unavailable" cancellation leaves its slot busy-unavailable.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import orjson
from fhir.resources.STU3 import get_fhir_model_class
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from .calendar import LONDON
from .errors import GpsynthError
from .fhir import constants as c
from .identifiers import is_valid_nhs_number
from .store import DEFAULT_STORE_NAME, open_store, resource_counts, stored_resources
from .store.database import store_file

# Found in the compact JSON of a resource: faster than walking it, and ids and instants never hold quotes.
REFERENCE = re.compile(rb'"reference":"([^"]*)"')
INSTANT = re.compile(rb'"(\d{4}-\d{2}-\d{2}T[^"]*)"')
ACTIVE = frozenset({"booked", "arrived", "fulfilled", "noshow"})   # statuses that hold their slots
APPOINTMENT_STATUSES = ACTIVE | {"cancelled"}
SLOT_STATUSES = frozenset({"free", "busy", "busy-unavailable"})
CLINICIAN_UNAVAILABLE = "Clinician unavailable"   # a cancellation that takes the slot out of the book
NHS_BEGAN = date(1948, 7, 5)


@dataclass(frozen=True)
class Problem:
    check: str            # which rule: model, meta, id, reference, time, slot, booking, appointment, ...
    where: str            # file and line or entry, e.g. ndjson/Slot.ndjson:12
    resource_type: str
    resource_id: str
    message: str


@dataclass
class Report:
    folder: Path
    counts: dict[str, Counter] = field(default_factory=dict)   # rendition -> resource type -> resources
    model_checked: Counter = field(default_factory=Counter)    # distinct resources validated by the models
    problems: list[Problem] = field(default_factory=list)


def _identity(resource: dict) -> tuple[str, str]:
    return str(resource.get("resourceType", "?")), str(resource.get("id", "?"))


def _digest(compact: bytes) -> bytes:
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


def _extension(resource: dict, url: str) -> dict | None:
    return next((e for e in resource.get("extension", ()) if e.get("url") == url), None)


def _target(reference: dict | None) -> tuple[str, str] | None:
    value = (reference or {}).get("reference", "")
    resource_type, _, resource_id = value.partition("/")
    return (resource_type, resource_id) if resource_id else None


@dataclass(frozen=True, slots=True)
class _SlotFacts:
    schedule_id: str
    start: str
    end: str
    status: str
    channel: str | None


@dataclass(frozen=True, slots=True)
class _AppointmentFacts:
    id: str
    where: str
    status: str
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

    def __init__(self):
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

    def problem(self, check: str, where: str, resource: dict, message: str):
        self.problems.append(Problem(check, where, *_identity(resource), message))

    def add(self, resource: dict, where: str) -> None:
        resource_type, resource_id = _identity(resource)
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
        self.digests[(resource_type, resource_id)] = _digest(compact)
        try:
            self._meta(resource, where)
            self._strings(resource, resource_type, resource_id, compact, where)
            getattr(self, f"_{resource_type.lower()}", lambda *_: None)(resource, where)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            self.problem("shape", where, resource, f"an element has an unexpected shape, so checks stopped here: {exc!r}")

    def _meta(self, resource: dict, where: str):
        meta = resource.get("meta") or {}
        expected = c.PROFILE[resource["resourceType"]]
        if meta.get("profile") != [expected]:
            self.problem("meta", where, resource, f"meta.profile is {meta.get('profile')!r}; expected [{expected!r}]")
        if not isinstance(meta.get("versionId"), str) or not c.RESOURCE_ID.fullmatch(meta["versionId"]):
            self.problem("meta", where, resource, f"meta.versionId is {meta.get('versionId')!r}; expected a version id such as '1'")

    def _strings(self, resource: dict, resource_type: str, resource_id: str, compact: bytes, where: str):
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

    def _schedule(self, resource: dict, where: str):
        actors = {t[0]: t for t in map(_target, resource.get("actor", ())) if t}
        self.schedules[resource["id"]] = (actors.get("Location"), actors.get("Practitioner"))

    def _slot(self, resource: dict, where: str):
        status = resource.get("status")
        if status not in SLOT_STATUSES:
            self.problem("slot", where, resource, f"status {status!r}; allowed: {', '.join(sorted(SLOT_STATUSES))}")
        start, end = _instant(_text(resource, "start")), _instant(_text(resource, "end"))
        if start and end and start >= end:
            self.problem("slot", where, resource, f"does not end ({resource['end']}) after it starts ({resource['start']})")
        channel = (_extension(resource, c.EXT_DELIVERY_CHANNEL) or {}).get("valueCode")
        schedule = _target(resource.get("schedule"))
        self.slots[resource["id"]] = _SlotFacts(schedule[1] if schedule else "", _text(resource, "start"),
                                                _text(resource, "end"), status, channel)

    def _patient(self, resource: dict, where: str):
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
        registration = next((e.get("valuePeriod") or {} for e in (_extension(resource, c.EXT_REGISTRATION_DETAILS) or {})
                             .get("extension", ()) if e.get("url") == "registrationPeriod"), {})
        born, registered = _text(resource, "birthDate"), str(registration.get("start", ""))[:10]
        if registered and registered < NHS_BEGAN.isoformat():
            self.problem("registration", where, resource, f"registered on {registered}, before the NHS began on {NHS_BEGAN}")
        if registered and born and registered < born:
            self.problem("registration", where, resource, f"registered on {registered}, before their birth on {born}")
        self.patients[resource["id"]] = _PatientFacts(born, registered)

    def _appointment(self, resource: dict, where: str):
        for name, limit in c.TEXT_LIMITS.items():
            if len(_text(resource, name)) > limit:
                self.problem("text", where, resource, f"{name} has {len(resource[name])} characters; at most {limit} allowed")
        status = resource.get("status")
        reason = (_extension(resource, c.EXT_CANCELLATION_REASON) or {}).get("valueString")
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
            resource.get("minutesDuration"), (_extension(resource, c.EXT_DELIVERY_CHANNEL) or {}).get("valueCode"), actors,
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

    def _timeline(self, appointment: _AppointmentFacts):
        """Made before it starts and by meta.lastUpdated; not before the patient was born or registered."""
        def fail(message):
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

    def _overlaps(self):
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

    def _appointment_slots(self, appointment: _AppointmentFacts):
        def fail(message):
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

    def _booking(self, appointment: _AppointmentFacts, holders: dict[str, list[str]]):
        def fail(message):
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


class ModelChecks:
    """Validate resources against the fhir.resources STU3 models: all of them, or a seeded sample per type."""

    def __init__(self, sample: int | None = None, seed: int = 0):
        self.sample, self.rng = sample, random.Random(seed)
        self.offered: Counter = Counter()
        self.reservoirs: dict[str, list[tuple[dict, str]]] = defaultdict(list)
        self.validated: set[bytes] = set()
        self.checked: Counter = Counter()
        self.problems: list[Problem] = []

    def offer(self, resource: dict, where: str) -> None:
        resource_type = str(resource.get("resourceType"))
        if resource_type not in c.RESOURCE_TYPES:
            return
        if self.sample is None:
            self._validate(resource, where)
            return
        self.offered[resource_type] += 1
        reservoir = self.reservoirs[resource_type]
        if len(reservoir) < self.sample:
            reservoir.append((resource, where))
        elif (slot := self.rng.randrange(self.offered[resource_type])) < self.sample:
            reservoir[slot] = (resource, where)

    def finish(self) -> list[Problem]:
        for resource_type in sorted(self.reservoirs):
            for resource, where in self.reservoirs.pop(resource_type):
                self._validate(resource, where)
        return self.problems

    def _validate(self, resource: dict, where: str):
        digest = _digest(orjson.dumps(resource))
        if digest in self.validated:
            return
        self.validated.add(digest)
        resource_type, resource_id = _identity(resource)
        self.checked[resource_type] += 1
        try:
            get_fhir_model_class(resource_type).model_validate(resource)
        except ValidationError as exc:
            errors = exc.errors()
            first = errors[0]
            message = f"{'.'.join(map(str, first['loc'])) or resource_type}: {first['msg']}"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more)"
            self.problems.append(Problem("model", where, resource_type, resource_id, message))


def check_resources(resources: Iterable[dict], sample: int | None = None) -> list[Problem]:
    """Problems of one dataset given as resources (models and invariants); empty when all is well."""
    invariants, models = DatasetChecks(), ModelChecks(sample)
    for n, resource in enumerate(resources):
        invariants.add(resource, f"resource {n}")
        models.offer(resource, f"resource {n}")
    return invariants.finish() + models.finish()


def _read_json(path: Path, problems: list[Problem], label: str):
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        problems.append(Problem("read", label, "-", "-", f"cannot read JSON: {exc}"))
        return None


def ndjson_resources(folder: Path, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
    """The resources of a Bulk Data folder, checked against its manifest."""
    manifest = _read_json(folder / "manifest.json", problems, "ndjson/manifest.json")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
        problems.append(Problem("manifest", "ndjson/manifest.json", "-", "-", "not a Bulk Data manifest with an output list"))
        return
    listed = set()
    for entry in manifest["output"]:
        name, resource_type = str(entry.get("url")), entry.get("type")
        label = f"ndjson/{name}"
        listed.add(name)
        lines = 0
        if not (folder / name).is_file():
            problems.append(Problem("manifest", "ndjson/manifest.json", str(resource_type), "-", f"lists {name}, which is not there"))
            continue
        with open(folder / name, "rb") as handle:
            for lines, line in enumerate(handle, 1):
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    problems.append(Problem("read", f"{label}:{lines}", str(resource_type), "-", f"not JSON: {exc}"))
                    continue
                if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
                    problems.append(Problem("read", f"{label}:{lines}", str(resource_type), "-", f"not a {resource_type} resource"))
                    continue
                yield resource, f"{label}:{lines}"
        if entry.get("count") != lines:
            problems.append(Problem("manifest", "ndjson/manifest.json", str(resource_type), "-",
                                    f"says {name} holds {entry.get('count')} resources; it holds {lines}"))
    for path in sorted(folder.glob("*.ndjson")):
        if path.name not in listed:
            problems.append(Problem("manifest", f"ndjson/{path.name}", "-", "-", "an NDJSON file the manifest does not list"))


def bundle_resources(folder: Path, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
    """The resources of collection or transaction Bundles; a transaction entry must PUT to Type/id."""
    for path in sorted(folder.glob("*.json")):
        label = f"json/{path.name}"
        bundle = _read_json(path, problems, label)
        if bundle is None:
            continue
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("collection", "transaction"):
            problems.append(Problem("bundle", label, "Bundle", "-", "not a collection or transaction Bundle"))
            continue
        for n, entry in enumerate(bundle.get("entry", ()), 1):
            resource, where = entry.get("resource"), f"{label} entry {n}"
            if not isinstance(resource, dict):
                problems.append(Problem("bundle", where, "Bundle", str(bundle.get("id")), "an entry without a resource"))
                continue
            if bundle["type"] == "transaction":
                expected = {"method": "PUT", "url": "/".join(_identity(resource))}
                if entry.get("request") != expected:
                    problems.append(Problem("bundle", where, *_identity(resource), f"request is {entry.get('request')!r}; expected {expected!r}"))
            yield resource, where


def store_resources(store: Path, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
    """The resources a store holds now, bookings made by a sandbox included."""
    con = open_store(store)
    try:
        for resource_type in resource_counts(con):
            for n, text in enumerate(stored_resources(con, resource_type), 1):
                yield orjson.loads(text), f"store {resource_type} row {n}"
    finally:
        con.close()


def _compare_renditions(checks: dict[str, DatasetChecks]) -> list[Problem]:
    """Every rendition of a folder must hold the same resources, byte for byte."""
    if len(checks) < 2:
        return []
    (first, a), (second, b) = list(checks.items())[:2]
    problems = []
    for key in sorted(a.digests.keys() | b.digests.keys()):
        if key not in b.digests or key not in a.digests:
            missing = second if key not in b.digests else first
            problems.append(Problem("renditions", f"{missing}/", *key, f"in {first if missing == second else second}/ but not in {missing}/"))
        elif a.digests[key] != b.digests[key]:
            problems.append(Problem("renditions", f"{second}/", *key, f"differs between {first}/ and {second}/"))
    return problems


Reader = Callable[[Path, list[Problem]], Iterator[tuple[dict, str]]]
PROGRESS_EVERY = 1000       # resources between progress reports


def renditions(path: Path) -> dict[str, tuple[Path, Reader]]:
    """What `path` holds to check, by rendition: an output folder's ndjson/ and json/, one of those
    folders itself, or a store (a store file, or a folder holding only a store)."""
    if path.is_file() or path.suffix == ".duckdb":
        return {"store": (store_file(path), store_resources)}
    if not path.is_dir():
        raise GpsynthError(f"{path}: no such folder or store; give the --out folder of a `gpsynth generate` run, "
                           "its ndjson/ or json/ folder, or a store")
    if (path / "manifest.json").is_file():
        return {"ndjson": (path, ndjson_resources)}
    found: dict[str, tuple[Path, Reader]] = {}
    if (path / "ndjson" / "manifest.json").is_file():
        found["ndjson"] = (path / "ndjson", ndjson_resources)
    if (path / "json").is_dir() and any((path / "json").glob("*.json")):
        found["json"] = (path / "json", bundle_resources)
    if not found and any(path.glob("*.json")):
        found["json"] = (path, bundle_resources)
    if not found and (path / DEFAULT_STORE_NAME).is_file():
        found["store"] = (path / DEFAULT_STORE_NAME, store_resources)
    if not found:
        raise GpsynthError(f"{path}: not a gpsynth output folder; expected ndjson/manifest.json, json/*.json or "
                           f"{DEFAULT_STORE_NAME} (from `gpsynth generate --out FOLDER`)")
    return found


def validate_dataset(path: Path | str, *, sample: int | None = None,
                     on_progress: Callable[[int], None] | None = None) -> Report:
    """Check every rendition of a generated dataset (see `renditions`); raise GpsynthError if it is not one.

    `on_progress(resources)` hears how many resources were read so far, every thousand or so.

    >>> report = validate_dataset("out/", sample=1000)    # doctest: +SKIP
    >>> report.problems
    []
    """
    path = Path(path)
    present = renditions(path)
    report, models, checks, read = Report(path), ModelChecks(sample), {}, 0
    for name, (where, reader) in present.items():
        checks[name] = DatasetChecks()
        for resource, label in reader(where, report.problems):
            checks[name].add(resource, label)
            models.offer(resource, label)
            read += 1
            if on_progress and read % PROGRESS_EVERY == 0:
                on_progress(read)
        report.problems += checks[name].finish()
        report.counts[name] = checks[name].counts
    report.problems += models.finish() + _compare_renditions(checks)
    report.model_checked = models.checked
    return report


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def report_renderables(report: Report, limit: int = 50) -> list:
    """Rich tables for a report: resources checked by type, then the first `limit` problems and a count."""
    counts = Table(title=Text(f"gpsynth validate {report.folder}"))
    counts.add_column("resource")
    for name in report.counts:
        counts.add_column(name if name == "store" else f"{name}/", justify="right")
    counts.add_column("model-checked", justify="right")
    for resource_type in c.RESOURCE_TYPES:
        row = [report.counts[name].get(resource_type, 0) for name in report.counts]
        if any(row):
            counts.add_row(resource_type, *(f"{n:,}" for n in row), f"{report.model_checked.get(resource_type, 0):,}")
    if not report.problems:
        return [counts, Text("No problems found.", style="bold green")]
    by_check = Counter(p.check for p in report.problems)
    listing = Table(title=f"{_count(len(report.problems), 'problem')} ({', '.join(f'{k} {n:,}' for k, n in by_check.most_common())})",
                    show_lines=True)
    listing.add_column("check")
    listing.add_column("resource, where", overflow="fold", ratio=2)
    listing.add_column("problem", overflow="fold", ratio=3)
    for p in report.problems[:limit]:
        listing.add_row(p.check, Text.assemble(f"{p.resource_type}/{p.resource_id}\n", (p.where, "dim")), Text(p.message))
    renderables: list[Table | Text] = [counts, listing]
    if len(report.problems) > limit:
        renderables.append(Text(f"… and {_count(len(report.problems) - limit, 'more problem')} (raise --limit to list them)",
                                style="bold"))
    return renderables
