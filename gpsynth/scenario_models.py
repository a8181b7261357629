"""Scenario rules as typed, frozen models, one per section of the YAML.

Sections validate the YAML (merged over the defaults in `scenario.DEFAULTS`) into the values the generators
use; a failure names the key path below the section, what is wrong and what is allowed.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .calendar import WEEKDAYS
from .fhir.constants import DELIVERY_CHANNELS, NHS_NUMBER_VERIFICATION, ORGANISATION_TYPES, PRACTITIONER_ROLES
from .identifiers import NHS_NUMBER_RANGES, ODS_CODE, REAL_PRACTICE_CODE
from .scenario_values import (
    ENGLAND, MAX_AGE, Amount, Inherited, Clock, Count, Days, Flag, Gender, Kind, Label, NhsNumber, Number, OdsCode, Share, Text,
    Weekdays, age_band, at, clock, label, shown, england_or, known, listing, mapping, number, ods, one_of, rule_error, share, text, weights,
    whole,
)

# Friendly names for SDS job roles; a scenario may use these or the codes themselves.
ROLE_ALIASES = {
    "gp": "R0260",
    "salaried-gp": "R0270",
    "gp-registrar": "R6200",
    "sessional-gp": "R6300",
    "nurse-practitioner": "R0600",
    "practice-nurse": "R0620",
    "healthcare-assistant": "R1480",
    "pharmacist": "R1290",
    "phlebotomist": "R1590",
    "midwife": "R0680",
    "counsellor": "R1550",
}

# --- workforce defaults by SDS role: share of women, and GP sessions a week with their shares ---------------
# NHS Digital "General Practice Workforce" (2024): GPs ~56 % women working ~6 sessions a week on average;
# nurses ~90 % and healthcare assistants ~85 % women, more of them full time.
PART_TIME_GP = {4: 0.15, 5: 0.15, 6: 0.3, 7: 0.15, 8: 0.15, 9: 0.05, 10: 0.05}
MOSTLY_FULL_TIME = {6: 0.2, 8: 0.3, 10: 0.5}
ROLE_WORKFORCE = {
    "R0260": (0.56, PART_TIME_GP), "R0270": (0.56, PART_TIME_GP), "R6200": (0.56, {9: 0.5, 10: 0.5}),
    "R6300": (0.56, PART_TIME_GP), "R0600": (0.9, MOSTLY_FULL_TIME), "R0620": (0.9, MOSTLY_FULL_TIME),
    "R0680": (0.98, MOSTLY_FULL_TIME), "R1480": (0.85, MOSTLY_FULL_TIME), "R1290": (0.6, MOSTLY_FULL_TIME),
}
OTHER_ROLE_WORKFORCE = (0.6, MOSTLY_FULL_TIME)

BY_ROLE = Inherited("by role, from NHS Digital's General Practice Workforce figures")

PATIENT_STATES = ("normal", "deceased", "sensitive", "inactive", "no-appointments")


class Rule(BaseModel):
    """A mapping of rules: unknown keys are errors naming the keys allowed there."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)
    derived: ClassVar[tuple[str, ...]] = ()   # fields set by gpsynth, not written in a scenario

    @classmethod
    def keys(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items() if name not in cls.derived]

    @model_validator(mode="before")
    @classmethod
    def known_keys(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        return known(data, cls.keys())


# --- practices ----------------------------------------------------------------------------------------------

class FixedSite(Rule):
    id: Label | None = Field(None, description="Location id")
    name: Label | None = Field(None, description="Site name")
    ods_site_code: Label | None = Field(None, description="ODS site code")


def role_profiles(value: Any) -> tuple[str, ...]:
    return tuple(at(i, label, profile) for i, profile in enumerate(listing(value)))


class FixedPractitioner(Rule):
    id: Label | None = Field(None, description="Practitioner id")
    sds_user_id: Label | None = Field(None, description="SDS user id")
    role_profile_ids: Annotated[tuple[str, ...] | None, BeforeValidator(role_profiles), Kind("list of text")] = Field(
        None, description="SDS role profile ids")
    family: Label | None = Field(None, description="Family name")
    given: Label | None = Field(None, description="Given name")
    prefix: Label | None = Field(None, description="Title, e.g. Dr")
    gender: Gender | None = Field(None, description="Administrative gender")


class FixedPatient(Rule):
    id: Label | None = Field(None, description="Patient id")
    nhs_number: NhsNumber = Field(description="NHS number")
    state: Annotated[str, BeforeValidator(one_of(PATIENT_STATES, "state")), Kind(" | ".join(PATIENT_STATES))] = Field(
        "normal", description="What GP Connect finds for this patient")
    family: Label | None = Field(None, description="Family name")
    given: Label | None = Field(None, description="Given name")
    gender: Gender | None = Field(None, description="Administrative gender")
    birth_date: Label | None = Field(None, description="Date of birth, YYYY-MM-DD")


class FixedPractice(Rule):
    ods: OdsCode = Field(description="The practice's ODS code")
    id: Label | None = Field(None, description="Organization id")
    name: Label | None = Field(None, description="Practice name")
    sites: tuple[FixedSite, ...] = Field((), description="Sites, main surgery first; more are generated up to branch_sites")
    practitioners: tuple[FixedPractitioner, ...] = Field((), description="Practitioners, given to the first clinicians generated")
    patients: tuple[FixedPatient, ...] = Field((), description="Patients registered before the generated ones")


class ListSize(Rule):
    mean: Count = Field(description="Mean registered patients per practice")
    sd: Amount = Field(0, description="Standard deviation of list sizes")


def prefix_shares(value: Any) -> tuple[tuple[str, float], ...]:
    """One prefix, or regional prefixes with their shares of practices."""
    if isinstance(value, str):
        value = {value: 1.0}
    prefixes = []
    for prefix, weight in mapping(value).items():
        if not isinstance(prefix, str) or not ODS_CODE.match(prefix) or len(prefix) > 5 or REAL_PRACTICE_CODE.match(prefix + "00001"):
            raise rule_error(f"{shown(prefix)} must be 1-5 upper-case letters/digits that cannot form a real practice code "
                             "(one letter then five digits), e.g. GPS", prefix)
        prefixes.append((prefix, at(prefix, share, weight)))
    if not prefixes or sum(w for _, w in prefixes) <= 0:
        raise rule_error("needs a prefix, or a mapping of regional prefixes to shares")
    return tuple(prefixes)


PRACTICE_AREAS = ("england", "network")


class Practices(Rule):
    count: Count = Field(description="Practices to generate (fixed practices first)")
    list_size: Annotated[ListSize, BeforeValidator(lambda v: {"mean": v, "sd": 0} if isinstance(v, int) else v),
                         Kind("whole number, or {mean, sd}")] = Field(description="Registered patients per practice")
    branch_sites: Amount = Field(description="Branch surgeries per practice, besides the main surgery")
    area: Annotated[str, BeforeValidator(one_of(PRACTICE_AREAS, "area")), Kind(" | ".join(PRACTICE_AREAS))] = Field(
        description="Where the practices sit: anywhere in England, or together as one primary care network "
                    "(one postcode district and its neighbours)")
    ods_prefixes: Annotated[tuple[tuple[str, float], ...], BeforeValidator(prefix_shares),
                            Kind("prefix, or mapping of prefixes to shares")] = Field(
        alias="ods_prefix", description="Start of generated ODS codes; regional prefixes share the practices out")
    fixed: tuple[FixedPractice, ...] = Field(description="Practices with given codes, names, sites, people")


class Consumer(Rule):
    ods: OdsCode = Field(description="The consumer organisation's ODS code")
    name: Text = Field(description="Its name")
    org_type: Annotated[str, BeforeValidator(one_of(ORGANISATION_TYPES, "organisation type")),
                        Kind(" | ".join(ORGANISATION_TYPES))] = Field("urgent-care", alias="type", description="Organisation type")


# --- sessions and staff ---------------------------------------------------------------------------------------

def session_breaks(value: Any) -> tuple[tuple[time, time], ...]:
    return tuple(sorted(at(i, pause, raw) for i, raw in enumerate(listing(value))))


def pause(value: Any) -> tuple[time, time]:
    times = known(value, ("start", "end"))
    return at("start", clock, times.get("start")), at("end", clock, times.get("end"))


class Session(Rule):
    derived: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""
    start: Clock = Field(description="Start of the session, HH:MM")
    end: Clock = Field(description="End of the session, HH:MM (same day)")
    breaks: Annotated[tuple[tuple[time, time], ...], BeforeValidator(session_breaks),
                      Kind("list of {start, end}, times of day HH:MM")] = Field(
        (), description="Breaks inside the session, when no slots are offered")

    @model_validator(mode="after")
    def ordered(self) -> Session:
        if self.end <= self.start:
            raise rule_error(f"the session ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M}); "
                             "the end must be a later time on the same day", "end")
        for i, (begin, finish) in enumerate(self.breaks):
            if not self.start <= begin < finish <= self.end:
                raise rule_error(f"a break must lie inside its session ({self.start:%H:%M}-{self.end:%H:%M}) "
                                 "and end after it starts", "breaks", i)
        return self

    def stretches(self) -> list[tuple[time, time]]:
        """The stretches of the session between its breaks."""
        edges = [self.start, *[t for pause in self.breaks for t in pause], self.end]
        return list(zip(edges[::2], edges[1::2], strict=True))


def role_of(value: Any) -> str:
    code = ROLE_ALIASES.get(value, value) if isinstance(value, str) else None
    if code not in PRACTITIONER_ROLES:
        raise rule_error(f"unknown role {shown(value)}; allowed: {', '.join([*ROLE_ALIASES, *PRACTITIONER_ROLES])}")
    return code


def weekly_sessions(value: Any) -> tuple[tuple[int, float], ...]:
    pairs = [(at(n, lambda v: whole(v, 1), n), at(n, share, weight)) for n, weight in mapping(value).items()]
    if not pairs or sum(w for _, w in pairs) <= 0:
        raise rule_error("needs at least one number of sessions with a share above 0, e.g. {6: 1.0}")
    return tuple(sorted(pairs))


def clinicians_per_10000(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise rule_error(f"must be a number of clinicians per 10,000 patients, 0 or more, got {shown(value)}")
    return float(value)


class StaffGroup(Rule):
    role_code: Annotated[str, BeforeValidator(role_of), Kind("role name or SDS job role code")] = Field(
        alias="role", description="Job role: " + ", ".join(ROLE_ALIASES) + ", or an SDS code")
    count: Amount = Field(1, description="Clinicians per practice (unless per_10000 is given)")
    per_10000: Annotated[float | None, BeforeValidator(clinicians_per_10000), Kind("number, 0 or more")] = Field(
        None, description="Clinicians per 10,000 registered patients, instead of count")
    sessions: Annotated[tuple[str, ...], BeforeValidator(lambda v: tuple(at(i, text, name) for i, name in enumerate(listing(v)))),
                        Kind("list of session names")] = Field(
        ("morning", "afternoon"), description="Sessions the group works, named under sessions")
    days: Annotated[Weekdays, Inherited("`calendar.working_days`")] = Field((), description="Days the group works")
    slot_minutes: Count = Field(10, description="Slot length; must divide every stretch of its sessions")
    schedule_type: Text = Field("General practice", description="Schedule service type")
    slot_type: Text = Field("Appointment", description="Slot service type")
    channels: Annotated[tuple[tuple[str, float], ...], BeforeValidator(weights(DELIVERY_CHANNELS)),
                        Kind(f"mapping of {', '.join(DELIVERY_CHANNELS)} to shares")] = Field(
        (("In-person", 1.0),), description="Delivery channels of the group's slots")
    sessions_per_week: Annotated[tuple[tuple[int, float], ...], BeforeValidator(weekly_sessions),
                                 Kind("mapping of sessions a week to shares"), BY_ROLE] = Field(
        (), description="How many sessions a clinician works a week")
    female_share: Annotated[Share, BY_ROLE] = Field(0.6, description="Share of women")

    @model_validator(mode="before")
    @classmethod
    def role_defaults(cls, data: Any) -> Any:
        """A clinician's sex and weekly sessions default to the figures for the role."""
        if isinstance(data, dict):
            role = data.get("role")
            code = ROLE_ALIASES.get(role, role) if isinstance(role, str) else None
            female, weekly = ROLE_WORKFORCE.get(code, OTHER_ROLE_WORKFORCE) if code else OTHER_ROLE_WORKFORCE
            data = {"female_share": female, "sessions_per_week": weekly, **data}
            if "count" in data and "per_10000" in data:
                raise rule_error("give either count (clinicians per practice) or per_10000 (per 10,000 patients), not both",
                                 "per_10000")
        return data

    def headcount(self, list_size: int) -> int:
        if self.per_10000 is None:
            return self.count
        return max(1, round(self.per_10000 * list_size / 10000))

    def is_staffed(self) -> bool:
        return bool(self.count if self.per_10000 is None else self.per_10000)


# --- calendar, availability, demand, workforce, patients -----------------------------------------------------

class Calendar(Rule):
    horizon_days: Days = Field(description="Days of slots ahead, today included")
    history_days: Amount = Field(description="Days of past slots and appointments before today")
    working_days: Weekdays = Field(description="Days the practices open")
    closed_on_bank_holidays: Flag = Field(description="No sessions on England's bank holidays")


class Restriction(Rule):
    org_types: Annotated[tuple[str, ...], BeforeValidator(lambda v: tuple(one_of(ORGANISATION_TYPES, "organisation type")(t)
                                                                            for t in listing(v))),
                         Kind(f"list of {', '.join(ORGANISATION_TYPES)}")] = Field(
        (), description="Organisation types the slots are kept for")
    ods_codes: Annotated[tuple[str, ...], BeforeValidator(lambda v: tuple(at(i, ods, c) for i, c in enumerate(listing(v)))),
                         Kind("list of ODS codes")] = Field((), description="Organisations the slots are kept for")
    share: Share = Field(description="Share of bookable slots kept for them")

    @model_validator(mode="after")
    def names_someone(self) -> Restriction:
        if not self.org_types and not self.ods_codes:
            raise rule_error("a restriction needs org_types or ods_codes")
        return self


class BookingWindow(Rule):
    min_hours_ahead: Amount = Field(description="Slots start at least this many hours after now to be bookable")
    max_days_ahead: Days = Field(description="Slots start at most this many days ahead to be bookable")


class Availability(Rule):
    bookable_share: Share = Field(description="Share of slots consumers may book through GP Connect")
    restrictions: tuple[Restriction, ...] = Field(description="Bookable slots kept for some consumers")
    booking_window: BookingWindow = Field(description="How far ahead consumers may book")

    @field_validator("restrictions")
    @classmethod
    def shares_fit(cls, restrictions: tuple[Restriction, ...]) -> tuple[Restriction, ...]:
        if sum(r.share for r in restrictions) > 1:
            raise rule_error("the restriction shares add up to more than 1")
        return restrictions


def rates_by_band(value: Any) -> tuple[tuple[int, int, float, float], ...]:
    """Appointments per patient-year by age band, for women and men."""
    rates = []
    for band, by_sex in mapping(value).items():
        low, high = at(band, lambda b: age_band(b, 110), band)
        rates.append((low, high, *at(band, sex_rates, by_sex)))
    if not rates:
        raise rule_error("needs at least one age band, e.g. {0-110: {female: 5.5, male: 4.5}}")
    return tuple(sorted(rates))


def sex_rates(value: Any) -> tuple[float, float]:
    rates = known(value, ("female", "male"))
    if set(rates) != {"female", "male"}:
        raise rule_error("needs a rate for female and for male, e.g. {female: 5.0, male: 3.6}")
    return at("female", number, rates["female"]), at("male", number, rates["male"])


def weights_by_day(value: Any) -> tuple[float, ...]:
    """Monday first; days not named weigh 1."""
    by_day = dict.fromkeys(WEEKDAYS, 1.0)
    for day, weight in mapping(value).items():
        if day not in WEEKDAYS:
            raise rule_error(f"unknown day {shown(day)}; allowed: {', '.join(WEEKDAYS)}", day)
        by_day[day] = at(day, number, weight)
    return tuple(by_day.values())


def reason_texts(value: Any) -> tuple[str, ...]:
    texts = tuple(at(i, text, reason) for i, reason in enumerate(listing(value)))
    if not texts:
        raise rule_error("needs at least one reason")
    return texts


class Demand(Rule):
    rates_per_year: Annotated[tuple[tuple[int, int, float, float], ...], BeforeValidator(rates_by_band),
                              Kind("mapping of age bands LOW-HIGH to {female, male}")] = Field(
        description="Appointments per patient-year by age band and sex (all staff, all channels)")
    scale: Number = Field(description="Multiplies every rate: below 1 an emptier book, above 1 a fuller one")
    max_fill: Share = Field(description="Most of a day's slots demand may fill")
    weekday_weights: Annotated[tuple[float, ...], BeforeValidator(weights_by_day),
                               Kind(f"mapping of {', '.join(WEEKDAYS)} to numbers")] = Field(
        description="Relative demand by weekday; days not named weigh 1")
    morning_weight: Number = Field(description="Morning slots fill this much more than afternoon ones")
    same_day_share: Share = Field(description="Share of appointments booked on the day")
    routine_median_days: Count = Field(description="Median days between booking and a routine appointment")
    multi_slot_share: Share = Field(description="Share of appointments taking several consecutive slots")
    max_slots_per_appointment: Count = Field(description="Most consecutive slots one appointment takes")
    cancellation_share: Share = Field(description="Share of appointments cancelled")
    cancellation_reasons: Annotated[tuple[str, ...], BeforeValidator(reason_texts), Kind("list of text")] = Field(
        description="Reasons given for cancellations")
    no_show_share: Share = Field(description="Share of past appointments the patient did not attend")
    consumer_share: Share = Field(description="Share of appointments booked by consumer organisations")


class Workforce(Rule):
    annual_leave_weeks: Amount = Field(description="Weeks of annual leave per clinician a year")
    training_days: Amount = Field(description="Training days per clinician a year")


def band_weights(value: Any) -> tuple[tuple[int, int, float], ...]:
    """Band weights; within a band, ages keep England's single-year shape."""
    if isinstance(value, str):
        raise rule_error(f"must be {ENGLAND!r} or a mapping of age bands to weights, got {shown(value)}")
    bands = []
    for band, weight in mapping(value).items():
        low, high = at(band, lambda b: age_band(b, MAX_AGE), band)
        bands.append((low, high, at(band, share, weight)))
    if not bands or sum(w for *_, w in bands) <= 0:
        raise rule_error("needs at least one age band with a weight above 0")
    return tuple(bands)


def special_counts(value: Any) -> dict[str, int]:
    counts = known(value, PATIENT_STATES[1:])
    return {state: at(state, lambda v: whole(v, 0), counts.get(state, 0)) for state in PATIENT_STATES[1:]}


def no_fixed_patients(value: Any) -> tuple[()]:
    if listing(value):
        raise rule_error("fixed patients belong to their practice: practices.fixed[].patients")
    return ()


class Patients(Rule):
    nhs_number_range: Annotated[str, BeforeValidator(one_of(NHS_NUMBER_RANGES, "range")), Kind(" | ".join(NHS_NUMBER_RANGES))] = Field(
        description="Test NHS numbers starting 999 (synthetic) or 9 (the wider test range)")
    female_share: Annotated[float | None, BeforeValidator(england_or(share)), Kind(f"{ENGLAND}, or share from 0 to 1")] = Field(
        description="Share of women; 'england' takes England's share at each age")
    age_bands: Annotated[tuple[tuple[int, int, float], ...] | None, BeforeValidator(england_or(band_weights)),
                         Kind(f"{ENGLAND}, or mapping of age bands LOW-HIGH to weights")] = Field(
        description="Ages of registered patients; 'england' takes the ONS mid-year estimates")
    verification: Annotated[tuple[tuple[str, float], ...], BeforeValidator(weights(NHS_NUMBER_VERIFICATION)),
                            Kind("mapping of verification status codes to shares")] = Field(
        description="NHS number verification statuses and their shares")
    special: Annotated[dict[str, int], BeforeValidator(special_counts),
                       Kind("mapping of " + ", ".join(PATIENT_STATES[1:]) + " to counts")] = Field(
        description="Patients per practice in each special state")
    fixed: Annotated[tuple[()], BeforeValidator(no_fixed_patients), Kind("empty list")] = Field(
        (), description="Unused: fixed patients are listed under practices.fixed[].patients")


# --- the whole scenario ----------------------------------------------------------------------------------------

def named_sessions(value: Any) -> dict[str, Any]:
    return {str(name): session for name, session in mapping(value).items()}


def slot_length_fits(session: Session, minutes: int, *path: str | int) -> None:
    """Every stretch of the session between breaks must be a whole number of slots."""
    for begin, finish in session.stretches():
        length = (finish.hour * 60 + finish.minute) - (begin.hour * 60 + begin.minute)
        if length % minutes:
            allowed = ", ".join(str(m) for m in range(5, length + 1, 5) if length % m == 0)
            raise rule_error(f"{minutes}-minute slots do not divide session {session.name!r} "
                             f"({begin:%H:%M}-{finish:%H:%M} is {length} minutes); lengths that do: {allowed}", *path)


class Scenario(Rule):
    derived: ClassVar[tuple[str, ...]] = ("source", "rules_yaml")
    name: Label = Field(description="The scenario's name, shown in summaries")
    description: Label = Field(description="What the scenario generates")
    practices: Practices = Field(description="How many practices, how big, and which are fixed")
    consumers: tuple[Consumer, ...] = Field(description="Consumer organisations that book into the practices")
    sessions: Annotated[dict[str, Session], BeforeValidator(named_sessions), Kind("mapping of names to sessions")] = Field(
        description="Named sessions of the working day, which staff groups work")
    staff: tuple[StaffGroup, ...] = Field(description="The clinical team of each practice, by group")
    calendar: Calendar = Field(description="Which days, and how far back and ahead")
    availability: Availability = Field(description="Which slots consumers may book")
    demand: Demand = Field(description="How many appointments, when booked, and what becomes of them")
    workforce: Workforce = Field(description="Time clinicians are away")
    patients: Patients = Field(description="The registered population")
    source: str = ""       # where the rules came from, for messages
    rules_yaml: str = ""   # the effective rules, defaults included

    @field_validator("sessions")
    @classmethod
    def name_sessions(cls, sessions: dict[str, Session]) -> dict[str, Session]:
        return {name: session.model_copy(update={"name": name}) for name, session in sessions.items()}

    @model_validator(mode="after")
    def staff_fit(self) -> Scenario:
        """Staff groups work defined sessions in whole slots, on the working days unless they name theirs."""
        for i, group in enumerate(self.staff):
            for name in group.sessions:
                if name not in self.sessions:
                    raise rule_error(f"unknown session {shown(name)}; defined sessions: {', '.join(self.sessions)}", "staff", i, "sessions")
                slot_length_fits(self.sessions[name], group.slot_minutes, "staff", i, "slot_minutes")
        if not any(group.is_staffed() for group in self.staff):
            raise rule_error("needs at least one staff group with a count or per_10000 above 0", "staff")
        staff = tuple(group if group.days else group.model_copy(update={"days": self.calendar.working_days}) for group in self.staff)
        return self.model_copy(update={"staff": staff})
