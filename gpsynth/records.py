"""Plain records the rules produce; FHIR is a rendering of these (see gpsynth.fhir).

Times are kept as ISO 8601 strings with their Europe/London offset, exactly as rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class Shard:
    """Everything generated for one practice, in output order."""

    practice_ods: str
    organizations: list[Organization] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    practitioners: list[Practitioner] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    patients: list[Patient] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)

    def by_type(self) -> dict[str, list]:
        return {
            "Organization": self.organizations,
            "Location": self.locations,
            "Practitioner": self.practitioners,
            "Schedule": self.schedules,
            "Slot": self.slots,
            "Patient": self.patients,
            "Appointment": self.appointments,
        }
