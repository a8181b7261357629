"""Scenario rules: YAML merged over defaults, validated once into frozen dataclasses.

Every rule has a default, so an empty scenario is a small realistic dataset. Unknown keys and bad
values raise ScenarioError naming the file, the key path, what is wrong and what is allowed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import time
from importlib import resources
from pathlib import Path

import yaml

from .calendar import WEEKDAYS
from .errors import ScenarioError, yaml_error
from .fhir.constants import DELIVERY_CHANNELS, NHS_NUMBER_VERIFICATION, ORGANISATION_TYPES, PRACTITIONER_ROLES
from .identifiers import NHS_NUMBER_RANGES, ODS_CODE, REAL_PRACTICE_CODE

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

PATIENT_STATES = ("normal", "deceased", "sensitive", "inactive", "no-appointments")
ENGLAND = "england"   # patients.age_bands / female_share: the ONS figures shipped in gpsynth.reference
MAX_AGE = 105         # the oldest single year of age in those figures

DEFAULTS: dict = {
    "name": "default",
    "description": "One practice with a main surgery and a branch surgery.",
    "practices": {
        "count": 1,
        "list_size": {"mean": 3000, "sd": 0},
        "branch_sites": 1,
        "ods_prefix": "GPS",
        "fixed": [],
    },
    "consumers": [
        {"ods": "GPSU01", "name": "Synthetic NHS 111 Service", "type": "urgent-care"},
    ],
    "sessions": {
        "morning": {"start": "08:30", "end": "12:00", "breaks": [{"start": "10:30", "end": "11:00"}]},
        "afternoon": {"start": "14:00", "end": "18:00", "breaks": []},
    },
    "staff": [
        {"role": "gp", "per_10000": 5.5, "sessions": ["morning", "afternoon"], "slot_minutes": 10,
         "schedule_type": "General practice", "slot_type": "GP appointment",
         "channels": {"In-person": 0.7, "Telephone": 0.28, "Video": 0.02}},
        {"role": "practice-nurse", "per_10000": 4, "sessions": ["morning", "afternoon"], "slot_minutes": 15,
         "schedule_type": "Nurse clinic", "slot_type": "Nurse appointment",
         "channels": {"In-person": 0.9, "Telephone": 0.1}},
        {"role": "healthcare-assistant", "per_10000": 2.5, "sessions": ["morning"], "slot_minutes": 10,
         "schedule_type": "Phlebotomy clinic", "slot_type": "Blood test",
         "channels": {"In-person": 1.0}},
    ],
    "calendar": {
        "horizon_days": 28,
        "history_days": 14,
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "closed_on_bank_holidays": True,
    },
    "availability": {
        "bookable_share": 0.5,
        "restrictions": [
            {"org_types": ["urgent-care"], "ods_codes": [], "share": 0.1},
        ],
        "booking_window": {"min_hours_ahead": 0, "max_days_ahead": 28},
    },
    "demand": {
        # Appointments per patient-year by age band and sex (all staff, all channels); see README "Demand".
        "rates_per_year": {
            "0-4": {"female": 5.2, "male": 5.6}, "5-14": {"female": 2.4, "male": 2.3},
            "15-24": {"female": 4.4, "male": 2.9}, "25-44": {"female": 5.0, "male": 3.6},
            "45-64": {"female": 6.0, "male": 5.0}, "65-74": {"female": 8.4, "male": 8.0},
            "75-84": {"female": 11.0, "male": 10.6}, "85-110": {"female": 13.2, "male": 12.8},
        },
        "scale": 1.0,
        "max_fill": 0.95,
        "weekday_weights": {"mon": 1.1, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 1.0, "sat": 0.8, "sun": 0.8},
        "morning_weight": 1.15,
        "same_day_share": 0.45,
        "routine_median_days": 7,
        "multi_slot_share": 0.05,
        "max_slots_per_appointment": 3,
        "cancellation_share": 0.05,
        "cancellation_reasons": [
            "Patient no longer needs the appointment",
            "Clinician unavailable",
            "Patient booked in error",
            "Rebooked at a more convenient time",
        ],
        "no_show_share": 0.045,
        "consumer_share": 0.2,
    },
    "workforce": {
        "annual_leave_weeks": 6,
        "training_days": 5,
    },
    "patients": {
        "nhs_number_range": "999",
        # People: "england" takes the ONS mid-year estimates by single year of age and sex.
        "female_share": ENGLAND,
        "age_bands": ENGLAND,
        "verification": {"01": 0.97, "02": 0.02, "03": 0.01},
        "special": {"deceased": 1, "sensitive": 1, "inactive": 1, "no-appointments": 1},
        "fixed": [],
    },
}

# Mappings whose keys the user chooses (so unknown keys are not errors there).
OPEN_MAPS = {"sessions", "demand.rates_per_year", "demand.weekday_weights", "patients.age_bands", "patients.verification"}


@dataclass(frozen=True)
class Session:
    name: str
    start: time
    end: time
    breaks: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class StaffGroup:
    role_code: str
    count: int                     # clinicians per practice, unless per_10000 sizes them from the list
    per_10000: float | None        # clinicians per 10,000 registered patients
    sessions: tuple[str, ...]
    days: tuple[int, ...]          # weekday numbers, Monday = 0
    slot_minutes: int
    schedule_type: str
    slot_type: str
    channels: tuple[tuple[str, float], ...]
    sessions_per_week: tuple[tuple[int, float], ...]
    female_share: float

    def headcount(self, list_size: int) -> int:
        if self.per_10000 is None:
            return self.count
        return max(1, round(self.per_10000 * list_size / 10000))


@dataclass(frozen=True)
class FixedSite:
    id: str | None
    name: str | None
    ods_site_code: str | None


@dataclass(frozen=True)
class FixedPractitioner:
    id: str | None
    sds_user_id: str | None
    role_profile_ids: tuple[str, ...] | None
    family: str | None
    given: str | None
    prefix: str | None
    gender: str | None


@dataclass(frozen=True)
class FixedPatient:
    id: str | None
    nhs_number: str
    state: str
    family: str | None
    given: str | None
    gender: str | None
    birth_date: str | None


@dataclass(frozen=True)
class FixedPractice:
    ods: str
    id: str | None
    name: str | None
    sites: tuple[FixedSite, ...]
    practitioners: tuple[FixedPractitioner, ...]
    patients: tuple[FixedPatient, ...]


@dataclass(frozen=True)
class Consumer:
    ods: str
    name: str
    org_type: str


@dataclass(frozen=True)
class Restriction:
    org_types: tuple[str, ...]
    ods_codes: tuple[str, ...]
    share: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    practice_count: int
    list_size_mean: int
    list_size_sd: int
    branch_sites: int
    ods_prefixes: tuple[tuple[str, float], ...]   # regional prefixes with their share of practices
    fixed_practices: tuple[FixedPractice, ...]
    consumers: tuple[Consumer, ...]
    sessions: dict
    staff: tuple[StaffGroup, ...]
    horizon_days: int
    history_days: int
    working_days: tuple[int, ...]
    closed_on_bank_holidays: bool
    bookable_share: float
    restrictions: tuple[Restriction, ...]
    min_hours_ahead: int
    max_days_ahead: int
    rates_per_year: tuple[tuple[int, int, float, float], ...]   # low age, high age, female, male
    demand_scale: float
    max_fill: float
    weekday_weights: tuple[float, ...]  # Monday first
    morning_weight: float
    same_day_share: float
    routine_median_days: int
    multi_slot_share: float
    max_slots_per_appointment: int
    cancellation_share: float
    cancellation_reasons: tuple[str, ...]
    no_show_share: float
    consumer_share: float
    annual_leave_weeks: int
    training_days: int
    nhs_number_range: str
    female_share: float | None                        # None: England's female share at each age
    age_bands: tuple[tuple[int, int, float], ...] | None  # None: England's ages; else band weights
    verification: tuple[tuple[str, float], ...]
    special: dict
    source: str                        # where the rules came from, for messages
    rules_yaml: str                    # the effective rules, defaults included


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("gpsynth.presets").iterdir() if p.name.endswith(".yaml"))


def preset_text(name: str) -> str:
    return resources.files("gpsynth.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_scenario(name_or_path: str | None) -> Scenario:
    """A preset name, a YAML file path, or None for the defaults."""
    if name_or_path is None:
        return parse_scenario({}, "<defaults>")
    path = Path(name_or_path)
    if name_or_path in preset_names() and not path.is_file():
        source, text = f"preset {name_or_path}", preset_text(name_or_path)
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(source, "", f"no such file, and not a preset name (presets: {', '.join(preset_names())})")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(source, "", f"cannot read the file: {exc}")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, "", "the scenario must be a YAML mapping of rules")
    return parse_scenario(data, source)


def parse_scenario(data: dict, source: str) -> Scenario:
    merged = _merge(copy.deepcopy(DEFAULTS), data, source, "")
    return _Reader(source).scenario(merged, yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))


def _merge(base, override, source: str, path: str):
    """Deep-merge override onto base, rejecting keys the defaults do not know."""
    if not isinstance(override, dict) or not isinstance(base, dict):
        return override
    if path in OPEN_MAPS:
        return override
    for key, value in override.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in base:
            allowed = ", ".join(str(k) for k in base)
            raise ScenarioError(source, key_path, f"unknown key; allowed here: {allowed}")
        base[key] = _merge(base[key], value, source, key_path)
    return base


class _Reader:
    """Typed access to the merged rules; every failure names the key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str):
        raise ScenarioError(self.source, key, message)

    def integer(self, value, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be a whole number, got {value!r}")
        if value < minimum:
            self.fail(key, f"must be at least {minimum}, got {value}")
        return value

    def share(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            self.fail(key, f"must be a share between 0 and 1, got {value!r}")
        return float(value)

    def text(self, value, key: str, limit: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be non-empty text, got {value!r}")
        if limit and len(value) > limit:
            self.fail(key, f"must be at most {limit} characters, got {len(value)}")
        return value

    def optional_text(self, mapping: dict, field: str, key: str) -> str | None:
        value = mapping.get(field)
        return None if value is None else self.text(str(value), f"{key}.{field}")

    def clock(self, value, key: str) -> time:
        try:
            hours, minutes = str(value).split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            self.fail(key, f"must be a time of day HH:MM, got {value!r}")

    def mapping(self, value, key: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"must be a mapping, got {value!r}")
        return value

    def listing(self, value, key: str) -> list:
        if not isinstance(value, list):
            self.fail(key, f"must be a list, got {value!r}")
        return value

    def known_keys(self, mapping: dict, allowed: tuple[str, ...], key: str) -> dict:
        self.mapping(mapping, key)
        for field in mapping:
            if field not in allowed:
                self.fail(f"{key}.{field}", f"unknown key; allowed here: {', '.join(allowed)}")
        return mapping

    def weekdays(self, value, key: str) -> tuple[int, ...]:
        days = []
        for i, day in enumerate(self.listing(value, key)):
            if day not in WEEKDAYS:
                self.fail(f"{key}[{i}]", f"unknown day {day!r}; allowed: {', '.join(WEEKDAYS)}")
            days.append(WEEKDAYS.index(day))
        if not days:
            self.fail(key, "must name at least one day")
        return tuple(sorted(set(days)))

    def ods(self, value, key: str) -> str:
        if not isinstance(value, str) or not ODS_CODE.match(value):
            self.fail(key, f"must be an ODS code of 1-9 upper-case letters and digits, got {value!r}")
        return value

    def weights(self, value, key: str, allowed: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        pairs = []
        for name, weight in self.mapping(value, key).items():
            if name not in allowed:
                self.fail(f"{key}.{name}", f"unknown value {name!r}; allowed: {', '.join(allowed)}")
            pairs.append((name, self.share(weight, f"{key}.{name}")))
        if not pairs or sum(w for _, w in pairs) <= 0:
            self.fail(key, "needs at least one value with a weight above 0")
        return tuple(pairs)

    # --- sections -----------------------------------------------------------------------------

    def session(self, name: str, raw) -> Session:
        key = f"sessions.{name}"
        raw = self.known_keys(raw, ("start", "end", "breaks"), key)
        if "start" not in raw or "end" not in raw:
            self.fail(key, "needs a start and an end (HH:MM)")
        start, end = self.clock(raw["start"], f"{key}.start"), self.clock(raw["end"], f"{key}.end")
        if end <= start:
            self.fail(f"{key}.end", f"the session ends ({end:%H:%M}) before it starts ({start:%H:%M}); "
                                    "the end must be a later time on the same day")
        breaks = []
        for i, pause in enumerate(self.listing(raw.get("breaks", []), f"{key}.breaks")):
            bkey = f"{key}.breaks[{i}]"
            pause = self.known_keys(pause, ("start", "end"), bkey)
            b_start, b_end = self.clock(pause.get("start"), f"{bkey}.start"), self.clock(pause.get("end"), f"{bkey}.end")
            if not start <= b_start < b_end <= end:
                self.fail(bkey, f"a break must lie inside its session ({start:%H:%M}-{end:%H:%M}) and end after it starts")
            breaks.append((b_start, b_end))
        return Session(name, start, end, tuple(sorted(breaks)))

    def staff_group(self, i: int, raw, sessions: dict[str, Session], working_days) -> StaffGroup:
        key = f"staff[{i}]"
        allowed = ("role", "count", "per_10000", "sessions", "days", "slot_minutes", "schedule_type", "slot_type",
                   "channels", "sessions_per_week", "female_share")
        raw = self.known_keys(raw, allowed, key)
        role = raw.get("role")
        code = ROLE_ALIASES.get(role, role)
        if code not in PRACTITIONER_ROLES:
            names = ", ".join(list(ROLE_ALIASES) + list(PRACTITIONER_ROLES))
            self.fail(f"{key}.role", f"unknown role {role!r}; allowed: {names}")
        names = tuple(raw.get("sessions", ["morning", "afternoon"]))
        for name in names:
            if name not in sessions:
                self.fail(f"{key}.sessions", f"unknown session {name!r}; defined sessions: {', '.join(sessions)}")
        minutes = self.integer(raw.get("slot_minutes", 10), f"{key}.slot_minutes")
        for name in names:
            self.check_slot_length(sessions[name], minutes, f"{key}.slot_minutes")
        days = self.weekdays(raw["days"], f"{key}.days") if "days" in raw else working_days
        if "count" in raw and "per_10000" in raw:
            self.fail(f"{key}.per_10000", "give either count (clinicians per practice) or per_10000 (per 10,000 patients), not both")
        per_10000 = raw.get("per_10000")
        if per_10000 is not None and (isinstance(per_10000, bool) or not isinstance(per_10000, (int, float)) or per_10000 < 0):
            self.fail(f"{key}.per_10000", f"must be a number of clinicians per 10,000 patients, 0 or more, got {per_10000!r}")
        female_share, weekly = ROLE_WORKFORCE.get(code, OTHER_ROLE_WORKFORCE)
        weekly = raw.get("sessions_per_week", weekly)
        sessions_per_week = []
        for n, share in self.mapping(weekly, f"{key}.sessions_per_week").items():
            sessions_per_week.append((self.integer(n, f"{key}.sessions_per_week.{n}"), self.share(share, f"{key}.sessions_per_week.{n}")))
        if not sessions_per_week or sum(w for _, w in sessions_per_week) <= 0:
            self.fail(f"{key}.sessions_per_week", "needs at least one number of sessions with a share above 0, e.g. {6: 1.0}")
        return StaffGroup(
            role_code=code,
            count=self.integer(raw.get("count", 1), f"{key}.count", minimum=0),
            per_10000=None if per_10000 is None else float(per_10000),
            sessions=names,
            days=days,
            slot_minutes=minutes,
            schedule_type=self.text(raw.get("schedule_type", "General practice"), f"{key}.schedule_type"),
            slot_type=self.text(raw.get("slot_type", "Appointment"), f"{key}.slot_type"),
            channels=self.weights(raw.get("channels", {"In-person": 1.0}), f"{key}.channels", DELIVERY_CHANNELS),
            sessions_per_week=tuple(sorted(sessions_per_week)),
            female_share=self.share(raw.get("female_share", female_share), f"{key}.female_share"),
        )

    def check_slot_length(self, session: Session, minutes: int, key: str):
        """Every stretch of the session between breaks must be a whole number of slots."""
        edges = [session.start, *[t for pause in session.breaks for t in pause], session.end]
        for begin, finish in zip(edges[::2], edges[1::2]):
            length = (finish.hour * 60 + finish.minute) - (begin.hour * 60 + begin.minute)
            if length % minutes:
                allowed = ", ".join(str(m) for m in range(5, length + 1, 5) if length % m == 0)
                self.fail(key, f"{minutes}-minute slots do not divide session {session.name!r} "
                               f"({begin:%H:%M}-{finish:%H:%M} is {length} minutes); lengths that do: {allowed}")

    def fixed_practice(self, i: int, raw) -> FixedPractice:
        key = f"practices.fixed[{i}]"
        raw = self.known_keys(raw, ("ods", "id", "name", "sites", "practitioners", "patients"), key)
        sites = []
        for j, site in enumerate(self.listing(raw.get("sites", []), f"{key}.sites")):
            skey = f"{key}.sites[{j}]"
            site = self.known_keys(site, ("id", "name", "ods_site_code"), skey)
            sites.append(FixedSite(self.optional_text(site, "id", skey), self.optional_text(site, "name", skey),
                                   self.optional_text(site, "ods_site_code", skey)))
        practitioners = []
        for j, person in enumerate(self.listing(raw.get("practitioners", []), f"{key}.practitioners")):
            pkey = f"{key}.practitioners[{j}]"
            person = self.known_keys(person, ("id", "sds_user_id", "role_profile_ids", "family", "given", "prefix", "gender"), pkey)
            profiles = person.get("role_profile_ids")
            practitioners.append(FixedPractitioner(
                self.optional_text(person, "id", pkey), self.optional_text(person, "sds_user_id", pkey),
                None if profiles is None else tuple(str(p) for p in self.listing(profiles, f"{pkey}.role_profile_ids")),
                self.optional_text(person, "family", pkey), self.optional_text(person, "given", pkey),
                self.optional_text(person, "prefix", pkey), self.gender(person.get("gender"), f"{pkey}.gender")))
        patients = []
        for j, person in enumerate(self.listing(raw.get("patients", []), f"{key}.patients")):
            pkey = f"{key}.patients[{j}]"
            person = self.known_keys(person, ("id", "nhs_number", "state", "family", "given", "gender", "birth_date"), pkey)
            state = person.get("state", "normal")
            if state not in PATIENT_STATES:
                self.fail(f"{pkey}.state", f"unknown state {state!r}; allowed: {', '.join(PATIENT_STATES)}")
            patients.append(FixedPatient(
                self.optional_text(person, "id", pkey), self.nhs_number(person.get("nhs_number"), f"{pkey}.nhs_number"),
                state, self.optional_text(person, "family", pkey), self.optional_text(person, "given", pkey),
                self.gender(person.get("gender"), f"{pkey}.gender"), self.optional_text(person, "birth_date", pkey)))
        return FixedPractice(self.ods(raw.get("ods"), f"{key}.ods"), self.optional_text(raw, "id", key),
                             self.optional_text(raw, "name", key), tuple(sites), tuple(practitioners), tuple(patients))

    def gender(self, value, key: str) -> str | None:
        if value is not None and value not in ("male", "female", "other", "unknown"):
            self.fail(key, f"unknown gender {value!r}; allowed: male, female, other, unknown")
        return value

    def nhs_number(self, value, key: str) -> str:
        from .identifiers import is_valid_nhs_number

        value = str(value)
        if not is_valid_nhs_number(value):
            self.fail(key, f"{value!r} is not a valid NHS number (10 digits passing the modulus-11 check)")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1000:
            self.fail(key, f"must be a number from 0 to 1000, got {value!r}")
        return float(value)

    def rates(self, raw, key: str) -> tuple[tuple[int, int, float, float], ...]:
        """Appointments per patient-year by age band, for women and men."""
        rates = []
        for band, by_sex in self.mapping(raw, key).items():
            low, high = self.band(band, f"{key}.{band}")
            by_sex = self.known_keys(by_sex, ("female", "male"), f"{key}.{band}")
            if set(by_sex) != {"female", "male"}:
                self.fail(f"{key}.{band}", "needs a rate for female and for male, e.g. {female: 5.0, male: 3.6}")
            rates.append((low, high, self.number(by_sex["female"], f"{key}.{band}.female"),
                          self.number(by_sex["male"], f"{key}.{band}.male")))
        if not rates:
            self.fail(key, "needs at least one age band, e.g. {0-110: {female: 5.5, male: 4.5}}")
        return tuple(sorted(rates))

    def weekday_weights(self, raw, key: str) -> tuple[float, ...]:
        weights = dict.fromkeys(WEEKDAYS, 1.0)
        for day, weight in self.mapping(raw, key).items():
            if day not in WEEKDAYS:
                self.fail(f"{key}.{day}", f"unknown day {day!r}; allowed: {', '.join(WEEKDAYS)}")
            weights[day] = self.number(weight, f"{key}.{day}")
        return tuple(weights.values())

    def band(self, band, key: str) -> tuple[int, int]:
        try:
            low, high = (int(x) for x in str(band).split("-"))
        except ValueError:
            self.fail(key, "an age band is written LOW-HIGH in years, e.g. 18-29")
        if not 0 <= low <= high <= 110:
            self.fail(key, "ages must satisfy 0 <= low <= high <= 110")
        return low, high

    # -- People: ages and sexes of the registered population ---------------------------------------

    def female_share(self, raw, key: str) -> float | None:
        return None if raw == ENGLAND else self.share(raw, key)

    def age_bands(self, raw, key: str) -> tuple[tuple[int, int, float], ...] | None:
        """Band weights; within a band, ages keep England's single-year shape."""
        if raw == ENGLAND:
            return None
        if isinstance(raw, str):
            self.fail(key, f"must be {ENGLAND!r} or a mapping of age bands to weights, got {raw!r}")
        bands = []
        for band, weight in self.mapping(raw, key).items():
            try:
                low, high = (int(x) for x in str(band).split("-"))
            except ValueError:
                self.fail(f"{key}.{band}", "an age band is written LOW-HIGH in years, e.g. 18-29")
            if not 0 <= low <= high <= MAX_AGE:
                self.fail(f"{key}.{band}", f"ages must satisfy 0 <= low <= high <= {MAX_AGE}")
            bands.append((low, high, self.share(weight, f"{key}.{band}")))
        if not bands or sum(w for *_, w in bands) <= 0:
            self.fail(key, "needs at least one age band with a weight above 0")
        return tuple(bands)

    # ----------------------------------------------------------------------------------------------

    def scenario(self, m: dict, rules_yaml: str) -> Scenario:
        practices = self.known_keys(m["practices"], tuple(DEFAULTS["practices"]), "practices")
        list_size = practices["list_size"]
        if isinstance(list_size, int):
            list_size = {"mean": list_size, "sd": 0}
        list_size = self.known_keys(list_size, ("mean", "sd"), "practices.list_size")
        raw_prefixes = practices["ods_prefix"]
        if isinstance(raw_prefixes, str):
            raw_prefixes = {raw_prefixes: 1.0}
        prefixes = []
        for prefix, share in self.mapping(raw_prefixes, "practices.ods_prefix").items():
            key = f"practices.ods_prefix.{prefix}"
            if not isinstance(prefix, str) or not ODS_CODE.match(prefix) or len(prefix) > 5 or REAL_PRACTICE_CODE.match(prefix + "00001"):
                self.fail(key, f"{prefix!r} must be 1-5 upper-case letters/digits that cannot form a real practice code "
                               "(one letter then five digits), e.g. GPS")
            prefixes.append((prefix, self.share(share, key)))
        if not prefixes or sum(w for _, w in prefixes) <= 0:
            self.fail("practices.ods_prefix", "needs a prefix, or a mapping of regional prefixes to shares")
        sessions = {str(name): self.session(str(name), raw) for name, raw in self.mapping(m["sessions"], "sessions").items()}
        calendar = self.known_keys(m["calendar"], tuple(DEFAULTS["calendar"]), "calendar")
        working_days = self.weekdays(calendar["working_days"], "calendar.working_days")
        staff = tuple(self.staff_group(i, raw, sessions, working_days) for i, raw in enumerate(self.listing(m["staff"], "staff")))
        if not any(group.count if group.per_10000 is None else group.per_10000 for group in staff):
            self.fail("staff", "needs at least one staff group with a count or per_10000 above 0")
        consumers = []
        for i, raw in enumerate(self.listing(m["consumers"], "consumers")):
            raw = self.known_keys(raw, ("ods", "name", "type"), f"consumers[{i}]")
            org_type = raw.get("type", "urgent-care")
            if org_type not in ORGANISATION_TYPES:
                self.fail(f"consumers[{i}].type", f"unknown organisation type {org_type!r}; allowed: {', '.join(ORGANISATION_TYPES)}")
            consumers.append(Consumer(self.ods(raw.get("ods"), f"consumers[{i}].ods"),
                                      self.text(raw.get("name"), f"consumers[{i}].name"), org_type))
        availability = self.known_keys(m["availability"], tuple(DEFAULTS["availability"]), "availability")
        restrictions = []
        for i, raw in enumerate(self.listing(availability["restrictions"], "availability.restrictions")):
            rkey = f"availability.restrictions[{i}]"
            raw = self.known_keys(raw, ("org_types", "ods_codes", "share"), rkey)
            org_types = tuple(self.listing(raw.get("org_types", []), f"{rkey}.org_types"))
            for org_type in org_types:
                if org_type not in ORGANISATION_TYPES:
                    self.fail(f"{rkey}.org_types", f"unknown organisation type {org_type!r}; allowed: {', '.join(ORGANISATION_TYPES)}")
            ods_codes = tuple(self.ods(c, f"{rkey}.ods_codes") for c in self.listing(raw.get("ods_codes", []), f"{rkey}.ods_codes"))
            if not org_types and not ods_codes:
                self.fail(rkey, "a restriction needs org_types or ods_codes")
            restrictions.append(Restriction(org_types, ods_codes, self.share(raw.get("share"), f"{rkey}.share")))
        if sum(r.share for r in restrictions) > 1:
            self.fail("availability.restrictions", "the restriction shares add up to more than 1")
        window = self.known_keys(availability["booking_window"], ("min_hours_ahead", "max_days_ahead"), "availability.booking_window")
        demand = self.known_keys(m["demand"], tuple(DEFAULTS["demand"]), "demand")
        workforce = self.known_keys(m["workforce"], tuple(DEFAULTS["workforce"]), "workforce")
        reasons = tuple(self.text(r, "demand.cancellation_reasons") for r in self.listing(demand["cancellation_reasons"], "demand.cancellation_reasons"))
        if not reasons:
            self.fail("demand.cancellation_reasons", "needs at least one reason")
        patients = self.known_keys(m["patients"], tuple(DEFAULTS["patients"]), "patients")
        if patients["nhs_number_range"] not in NHS_NUMBER_RANGES:
            self.fail("patients.nhs_number_range", f"unknown range {patients['nhs_number_range']!r}; allowed: {', '.join(NHS_NUMBER_RANGES)}")
        special = self.known_keys(patients["special"], PATIENT_STATES[1:], "patients.special")
        return Scenario(
            name=self.text(str(m["name"]), "name"),
            description=self.text(str(m["description"]), "description"),
            practice_count=self.integer(practices["count"], "practices.count"),
            list_size_mean=self.integer(list_size.get("mean"), "practices.list_size.mean"),
            list_size_sd=self.integer(list_size.get("sd", 0), "practices.list_size.sd", minimum=0),
            branch_sites=self.integer(practices["branch_sites"], "practices.branch_sites", minimum=0),
            ods_prefixes=tuple(prefixes),
            fixed_practices=tuple(self.fixed_practice(i, raw) for i, raw in enumerate(self.listing(practices["fixed"], "practices.fixed"))),
            consumers=tuple(consumers),
            sessions=sessions,
            staff=staff,
            horizon_days=self.integer(calendar["horizon_days"], "calendar.horizon_days"),
            history_days=self.integer(calendar["history_days"], "calendar.history_days", minimum=0),
            working_days=working_days,
            closed_on_bank_holidays=bool(calendar["closed_on_bank_holidays"]),
            bookable_share=self.share(availability["bookable_share"], "availability.bookable_share"),
            restrictions=tuple(restrictions),
            min_hours_ahead=self.integer(window["min_hours_ahead"], "availability.booking_window.min_hours_ahead", minimum=0),
            max_days_ahead=self.integer(window["max_days_ahead"], "availability.booking_window.max_days_ahead"),
            rates_per_year=self.rates(demand["rates_per_year"], "demand.rates_per_year"),
            demand_scale=self.number(demand["scale"], "demand.scale"),
            max_fill=self.share(demand["max_fill"], "demand.max_fill"),
            weekday_weights=self.weekday_weights(demand["weekday_weights"], "demand.weekday_weights"),
            morning_weight=self.number(demand["morning_weight"], "demand.morning_weight"),
            same_day_share=self.share(demand["same_day_share"], "demand.same_day_share"),
            routine_median_days=self.integer(demand["routine_median_days"], "demand.routine_median_days"),
            multi_slot_share=self.share(demand["multi_slot_share"], "demand.multi_slot_share"),
            max_slots_per_appointment=self.integer(demand["max_slots_per_appointment"], "demand.max_slots_per_appointment"),
            cancellation_share=self.share(demand["cancellation_share"], "demand.cancellation_share"),
            cancellation_reasons=reasons,
            no_show_share=self.share(demand["no_show_share"], "demand.no_show_share"),
            consumer_share=self.share(demand["consumer_share"], "demand.consumer_share"),
            annual_leave_weeks=self.integer(workforce["annual_leave_weeks"], "workforce.annual_leave_weeks", minimum=0),
            training_days=self.integer(workforce["training_days"], "workforce.training_days", minimum=0),
            nhs_number_range=patients["nhs_number_range"],
            female_share=self.female_share(patients["female_share"], "patients.female_share"),
            age_bands=self.age_bands(patients["age_bands"], "patients.age_bands"),
            verification=self.weights(patients["verification"], "patients.verification", tuple(NHS_NUMBER_VERIFICATION)),
            special={state: self.integer(special.get(state, 0), f"patients.special.{state}", minimum=0) for state in PATIENT_STATES[1:]},
            source=self.source,
            rules_yaml=rules_yaml,
        )
