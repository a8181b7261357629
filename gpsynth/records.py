"""Plain records the rules produce; FHIR is a rendering of these (see gpsynth.fhir).

Times are kept as ISO 8601 strings with their Europe/London offset, exactly as rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import chain
from typing import TypeVar, overload

import numpy as np
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...]
    city: str
    district: str
    postcode: str


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    ods_code: str
    name: str
    org_type: str                      # gp-practice | urgent-care
    phone: str
    address: Address
    main_location_id: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str
    organization_id: str
    phone: str
    address: Address
    ods_site_code: str | None = None


@dataclass(frozen=True, slots=True)
class Practitioner:
    id: str
    sds_user_id: str
    role_profile_ids: tuple[str, ...]
    family: str
    given: str
    prefix: str
    gender: str
    role_code: str
    organization_id: str


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    practitioner_id: str
    location_id: str
    organization_id: str
    role_code: str
    schedule_type: str
    slot_type: str
    planning_start: str
    planning_end: str


@dataclass(slots=True)
class Slot:
    id: str
    schedule_id: str
    start: str
    end: str
    delivery_channel: str
    bookable: bool
    restrict_org_types: tuple[str, ...]
    restrict_ods_codes: tuple[str, ...]
    status: str = "free"               # free | busy; set by the booking rules


R = TypeVar("R")


class Columns(Sequence[R]):
    """Records of one type held as columns (see SlotColumns, PatientColumns, AppointmentColumns); indexing or
    iterating gives the records, for rules that take one at a time."""

    columns: dict

    def record(self, n: int) -> R:
        """The n-th record, made from the columns."""
        raise NotImplementedError

    def column(self, name: str) -> Sequence:
        return self.columns[name]

    def __len__(self) -> int:
        return len(self.columns["id"])

    @overload
    def __getitem__(self, n: int) -> R: ...

    @overload
    def __getitem__(self, n: slice) -> list[R]: ...

    def __getitem__(self, n: int | slice) -> R | list[R]:
        if isinstance(n, slice):
            return [self.record(i) for i in range(*n.indices(len(self)))]
        return self.record(n)

    def __iter__(self) -> Iterator[R]:
        return (self.record(n) for n in range(len(self)))

    def text(self, name: str) -> pa.Array:
        """A text column as Arrow strings, converted once (rendering and the store rows both read it), so
        only once the rules are done with the records."""
        converted = self.__dict__.setdefault("_text", {})
        if name not in converted:
            converted[name] = pa.array(self.column(name), pa.string())
        return converted[name]


SLOT_STATUSES = ("free", "busy", "busy-unavailable")


class SlotColumns(Columns[Slot]):
    """Slots as columns, in output order: what generation fills and rendering reads for the commonest type.

    Held columns: id, schedule_id, start, end, delivery_channel (lists of text); `access` (0: not GP Connect
    bookable, 1: bookable by anyone, 2 + k: kept for the k-th of `restrictions`) and `status` (index into
    SLOT_STATUSES), with `day` (date ordinal) and `start_minute` (minutes after midnight) for the rules.
    The Slot fields bookable, restrict_org_types, restrict_ods_codes and status are read from those.
    """

    TEXT = ("id", "schedule_id", "start", "end", "delivery_channel")
    ARRAYS = {"access": np.int8, "status": np.int8, "day": np.int32, "start_minute": np.int16}

    def __init__(self, columns: dict, restrictions: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = ()):
        self.columns, self.restrictions = columns, tuple(restrictions)

    @classmethod
    def concat(cls, parts: Sequence[SlotColumns],
               restrictions: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = ()) -> SlotColumns:
        columns: dict = {name: list(chain.from_iterable(part.columns[name] for part in parts)) for name in cls.TEXT}
        for name, dtype in cls.ARRAYS.items():
            columns[name] = np.concatenate([part.columns[name] for part in parts] or [np.zeros(0, dtype)])
        return cls(columns, parts[0].restrictions if parts else restrictions)

    def array(self, name: str) -> np.ndarray:
        """A numeric held column: access, status, day or start_minute."""
        return self.columns[name]

    def column(self, name: str) -> Sequence:
        """A Slot field per slot: text as lists; bookable and the restriction lists as Arrow arrays."""
        c = self.columns
        if name == "bookable":
            return pa.array(c["access"] > 0)
        if name == "status":
            return [SLOT_STATUSES[n] for n in c["status"].tolist()]
        if name in ("restrict_org_types", "restrict_ods_codes"):
            part = 0 if name == "restrict_org_types" else 1
            kept = [(), ()] + [restriction[part] for restriction in self.restrictions]
            return pa.array(kept, pa.list_(pa.string())).take(pa.array(c["access"]))
        return c[name]

    def record(self, n: int) -> Slot:
        c = self.columns
        access = int(c["access"][n])
        org_types, ods_codes = self.restrictions[access - 2] if access >= 2 else ((), ())
        return Slot(c["id"][n], c["schedule_id"][n], c["start"][n], c["end"][n], c["delivery_channel"][n],
                    access > 0, org_types, ods_codes, SLOT_STATUSES[c["status"][n]])


@dataclass(frozen=True, slots=True)
class Patient:
    id: str
    nhs_number: str
    verification_status: str
    family: str
    given: str
    prefix: str
    gender: str
    birth_date: str
    address: Address | None
    phone: str | None
    phone_use: str                     # mobile | home
    organization_id: str
    general_practitioner_id: str | None
    preferred_location_id: str
    registration_start: str
    registration_end: str | None
    registration_type: str
    state: str                         # normal | deceased | sensitive | inactive | no-appointments
    deceased_at: str | None = None


PATIENT_FIELDS = tuple(f.name for f in fields(Patient))
ADDRESS_COLUMNS = ("address_lines", "address_city", "address_district", "address_postcode")


class PatientColumns(Columns[Patient]):
    """A practice's patients as columns, one list per Patient field, in output order.

    Patients are a large share of every dataset, so generation fills these columns and rendering
    reads them without a Python object per patient. The address is held as four columns (None
    where it is withheld). Indexing or iterating gives Patient records, for rules that take one
    patient at a time.
    """

    def __init__(self, columns: dict[str, list]):
        self.columns = columns

    @classmethod
    def from_records(cls, records: Sequence[Patient]) -> PatientColumns:
        columns = {name: [getattr(r, name) for r in records] for name in PATIENT_FIELDS if name != "address"}
        addresses = [r.address for r in records]
        for name, part in zip(ADDRESS_COLUMNS, ("lines", "city", "district", "postcode"), strict=True):
            columns[name] = [a and getattr(a, part) for a in addresses]
        return cls(columns)

    def record(self, n: int) -> Patient:
        c = self.columns
        lines = c["address_lines"][n]
        address = None if lines is None else Address(lines, c["address_city"][n], c["address_district"][n],
                                                     c["address_postcode"][n])
        return Patient(address=address, **{name: c[name][n] for name in PATIENT_FIELDS if name != "address"})


@dataclass(frozen=True, slots=True)
class BookingOrganisation:
    ods_code: str
    name: str
    org_type: str
    phone: str


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    status: str                        # booked | cancelled | fulfilled | noshow
    slot_ids: tuple[str, ...]
    start: str
    end: str
    minutes: int
    patient_id: str
    location_id: str
    practitioner_id: str
    schedule_id: str
    organization_id: str
    role_code: str
    delivery_channel: str
    schedule_type: str
    slot_type: str
    booking_organisation: BookingOrganisation
    description: str
    comment: str | None
    created: str
    cancellation_reason: str | None = None


APPOINTMENT_FIELDS = tuple(f.name for f in fields(Appointment))


class AppointmentColumns(Columns[Appointment]):
    """Appointments as columns, in output order: a list per Appointment field, except the booking
    organisation, held as `booker` (each appointment's index into `organisations`)."""

    def __init__(self, columns: dict, organisations: Sequence[BookingOrganisation]):
        self.columns, self.organisations = columns, tuple(organisations)

    @classmethod
    def concat(cls, parts: Sequence[AppointmentColumns], organisations: Sequence[BookingOrganisation]) -> AppointmentColumns:
        held = [name for name in APPOINTMENT_FIELDS if name != "booking_organisation"] + ["booker"]
        return cls({name: list(chain.from_iterable(part.columns[name] for part in parts)) for name in held}, organisations)

    def column(self, name: str) -> Sequence:
        if name == "booking_organisation":
            return [self.organisations[n] for n in self.columns["booker"]]
        if name in ("booking_ods_code", "booking_org_type"):
            kept = [getattr(org, name.removeprefix("booking_")) for org in self.organisations]
            return [kept[n] for n in self.columns["booker"]]
        return self.columns["minutes" if name == "minutes_duration" else name]

    def record(self, n: int) -> Appointment:
        c = self.columns
        return Appointment(booking_organisation=self.organisations[c["booker"][n]],
                           **{name: c[name][n] for name in APPOINTMENT_FIELDS if name != "booking_organisation"})


@dataclass
class Shard:
    """Everything generated for one practice, in output order."""

    practice_ods: str
    organizations: list[Organization] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    practitioners: list[Practitioner] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    slots: Sequence[Slot] = field(default_factory=list)          # SlotColumns as generated
    patients: Sequence[Patient] = field(default_factory=list)    # PatientColumns as generated
    appointments: Sequence[Appointment] = field(default_factory=list)   # AppointmentColumns as generated

    def by_type(self) -> dict[str, Sequence]:
        return {
            "Organization": self.organizations,
            "Location": self.locations,
            "Practitioner": self.practitioners,
            "Schedule": self.schedules,
            "Slot": self.slots,
            "Patient": self.patients,
            "Appointment": self.appointments,
        }
