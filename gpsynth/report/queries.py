"""What the dataset report shows, read from a store: plain dataclasses, one query function per section.

Days and hours are Europe/London wall-clock; "days ahead" counts from the dataset's reference date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import yaml

from ..calendar import bank_holidays, clock_changes
from ..fhir.constants import PRACTITIONER_ROLES, RESOURCE_TYPES
from ..store.database import StoreInfo
from ..store.schema import RESOURCE_TABLES

LONDON_START = "timezone('Europe/London', s.start)"
AGE_BAND_YEARS = 5
OLDEST_BAND = 90            # the last band is 90 and over
MOST_PRACTICE_ROWS = 100
MOST_SPECIAL_PATIENTS = 200


@dataclass(frozen=True)
class PracticeCounts:
    shard: int
    ods_code: str
    name: str
    counts: dict[str, int]


@dataclass(frozen=True)
class SlotCell:
    """The slots starting in one hour of one day, and how many of them are busy."""

    day: date
    hour: int
    slots: int
    busy: int


@dataclass(frozen=True)
class Mix:
    """Slots and live (not cancelled) appointments for one delivery channel or practitioner role."""

    label: str
    slots: int
    appointments: int


@dataclass(frozen=True)
class AgeBand:
    label: str
    female: int
    male: int


@dataclass(frozen=True)
class CalendarEvent:
    day: date
    what: str
    slots: int


@dataclass(frozen=True)
class SpecialPatient:
    ods_code: str
    nhs_number: str
    patient_id: str
    name: str
    state: str
    detail: str
    appointments: int


@dataclass(frozen=True)
class Horizon:
    first: date      # the first day of the history
    as_of: date
    last: date       # the last day of the booking horizon


def horizon(info: StoreInfo) -> Horizon:
    rules = yaml.safe_load(info.scenario_yaml) or {}
    calendar = rules.get("calendar", {})
    history, ahead = int(calendar.get("history_days", 0)), int(calendar.get("horizon_days", 1))
    return Horizon(info.as_of - timedelta(days=history), info.as_of, info.as_of + timedelta(days=ahead - 1))


def practice_counts(con: duckdb.DuckDBPyConnection) -> list[PracticeCounts]:
    """Resources per shard: shard 0 holds the consumer organisations, then one shard per practice."""
    found: dict[int, dict[str, int]] = {}
    for resource_type, table in RESOURCE_TABLES.items():
        for shard, n in con.sql(f"SELECT shard, count(*) FROM {table.name} GROUP BY shard").fetchall():
            found.setdefault(shard, {})[resource_type] = n
    names = dict(con.sql("SELECT ods_code, name FROM organization").fetchall())
    rows = []
    for shard, practice_ods in con.sql("SELECT shard, practice_ods FROM shard ORDER BY shard").fetchall():
        counts = {t: found.get(shard, {}).get(t, 0) for t in RESOURCE_TYPES}
        name = "Consumer organisations" if shard == 0 else names.get(practice_ods, "")
        rows.append(PracticeCounts(shard, practice_ods, name, counts))
    return rows


def slot_cells(con: duckdb.DuckDBPyConnection) -> list[SlotCell]:
    rows = con.sql(f"""
        SELECT CAST({LONDON_START} AS DATE) AS day, hour({LONDON_START}) AS hour, count(*),
               count(*) FILTER (WHERE s.status = 'busy')
        FROM slot s GROUP BY ALL ORDER BY day, hour""").fetchall()
    return [SlotCell(*row) for row in rows]


def fill_by_days_ahead(cells: list[SlotCell], as_of: date) -> list[tuple[int, int, int]]:
    """(days ahead, slots, busy) for every day with slots; negative days are history."""
    by_day: dict[int, list[int]] = {}
    for cell in cells:
        totals = by_day.setdefault((cell.day - as_of).days, [0, 0])
        totals[0] += cell.slots
        totals[1] += cell.busy
    return [(days, slots, busy) for days, (slots, busy) in sorted(by_day.items())]


def channel_mix(con: duckdb.DuckDBPyConnection) -> list[Mix]:
    return mix(con, "s.delivery_channel", "slot s", "a.delivery_channel", lambda label: label)


def role_mix(con: duckdb.DuckDBPyConnection) -> list[Mix]:
    return mix(con, "sc.role_code", "slot s JOIN schedule sc ON sc.id = s.schedule_id", "a.role_code",
               lambda code: f"{PRACTITIONER_ROLES.get(code, code)} ({code})")


def mix(con, slot_key: str, slot_from: str, appointment_key: str, label) -> list[Mix]:
    slots = dict(con.sql(f"SELECT {slot_key}, count(*) FROM {slot_from} GROUP BY ALL").fetchall())
    appointments = dict(con.sql(
        f"SELECT {appointment_key}, count(*) FROM appointment a WHERE a.status <> 'cancelled' GROUP BY ALL").fetchall())
    keys = sorted(set(slots) | set(appointments), key=lambda k: (-slots.get(k, 0), str(k)))
    return [Mix(label(k), slots.get(k, 0), appointments.get(k, 0)) for k in keys]


def age_bands(con: duckdb.DuckDBPyConnection, as_of: date) -> tuple[list[AgeBand], int]:
    """Patients by age at the reference date and sex, youngest band first; and how many are neither female nor male."""
    rows = con.sql(f"""
        SELECT least(date_sub('year', birth_date, ?::DATE) // {AGE_BAND_YEARS}, {OLDEST_BAND // AGE_BAND_YEARS}) AS band,
               count(*) FILTER (WHERE gender = 'female'), count(*) FILTER (WHERE gender = 'male')
        FROM patient GROUP BY band""", params=[as_of]).fetchall()
    found = {band: (female, male) for band, female, male in rows}
    bands = []
    for band in range(OLDEST_BAND // AGE_BAND_YEARS + 1):
        low = band * AGE_BAND_YEARS
        label = f"{low}+" if low == OLDEST_BAND else f"{low}-{low + AGE_BAND_YEARS - 1}"
        female, male = found.get(band, (0, 0))
        bands.append(AgeBand(label, female, male))
    other = con.sql("SELECT count(*) FROM patient WHERE gender NOT IN ('female', 'male')").fetchall()[0][0]
    return bands, other


def calendar_events(con: duckdb.DuckDBPyConnection, window: Horizon) -> list[CalendarEvent]:
    """England bank holidays and London clock changes from the first day of history to the end of the horizon."""
    slots_by_day = dict(con.sql(
        f"SELECT CAST({LONDON_START} AS DATE), count(*) FROM slot s GROUP BY ALL").fetchall())
    events = []
    for year in range(window.first.year, window.last.year + 1):
        for day, name in bank_holidays(year).items():
            if window.first <= day <= window.last:
                events.append(CalendarEvent(day, f"Bank holiday: {name}", slots_by_day.get(day, 0)))
    for day, offset in clock_changes(window.first, window.last):
        change = "clocks go forward (BST, +01:00)" if offset == "+01:00" else "clocks go back (GMT, +00:00)"
        events.append(CalendarEvent(day, f"Clock change: {change}", slots_by_day.get(day, 0)))
    return sorted(events, key=lambda e: (e.day, e.what))


def special_patients(con: duckdb.DuckDBPyConnection) -> tuple[list[SpecialPatient], int]:
    """The deceased, sensitive, inactive and no-appointments patients (the first MOST_SPECIAL_PATIENTS), and how many in all."""
    total = con.sql("SELECT count(*) FROM patient WHERE state <> 'normal'").fetchall()[0][0]
    rows = con.sql(f"""
        SELECT o.ods_code, p.nhs_number, p.id, concat_ws(' ', p.given, p.family), p.state, p.deceased_at,
               p.registration_end, (SELECT count(*) FROM appointment a WHERE a.patient_id = p.id)
        FROM patient p JOIN organization o ON o.id = p.organization_id
        WHERE p.state <> 'normal'
        ORDER BY p.shard, p.state, p.seq LIMIT {MOST_SPECIAL_PATIENTS}""").fetchall()
    return [SpecialPatient(ods, nhs, pid, name, state, special_detail(state, deceased_at, registration_end), n)
            for ods, nhs, pid, name, state, deceased_at, registration_end, n in rows], total


def special_detail(state: str, deceased_at: datetime | None, registration_end: date | None) -> str:
    if state == "deceased" and deceased_at:
        return f"died {deceased_at.date().isoformat()}"
    if state == "inactive" and registration_end:
        return f"registration ended {registration_end.isoformat()}"
    if state == "sensitive":
        return "restricted record: not returned by find a patient"
    if state == "no-appointments":
        return "never booked: an empty appointment search"
    return ""
