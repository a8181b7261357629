"""Feeder rows read from a store: the slots a load test books, the patients it books for, the consumers who book.

Slots are free, GP Connect bookable and unrestricted (so any consumer may book them), start inside the
booking window seen from `now`, and each carries a bookable patient of its own practice and a search
window of at most 14 days that holds it. Bookable patients are the ones in the `normal` state: the
deceased, sensitive and inactive patients cannot be booked, and the no-appointments patient stays so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import orjson

from ..calendar import LONDON
from ..errors import GpsynthError
from ..scenario import scenario_from_text
from ..store.database import store_info

MAX_SEARCH_DAYS = 14
SAFETY_MARGIN = timedelta(hours=1)      # a slot about to start could pass while the test runs


def service_root(ods_code: str) -> str:
    """The GP Connect service root path of a practice, below the server's base URL."""
    return f"/{ods_code}/STU3/1/gpconnect"


@dataclass(frozen=True)
class BookingWindow:
    earliest: datetime
    latest: datetime


def booking_window(con: duckdb.DuckDBPyConnection, now: datetime) -> BookingWindow:
    """Slot starts a provider serving this store accepts at `now`, from its scenario's booking window."""
    info = store_info(con)
    rules = scenario_from_text(info.scenario_yaml, "the store's scenario_yaml")
    today = now.astimezone(LONDON).date()
    last_day = today + timedelta(days=rules.availability.booking_window.max_days_ahead + 1)
    return BookingWindow(now + max(timedelta(hours=rules.availability.booking_window.min_hours_ahead), SAFETY_MARGIN),
                         datetime.combine(last_day, datetime.min.time(), tzinfo=LONDON))


SLOTS_SQL = """
    WITH free AS (
        SELECT s.id, o.ods_code, sc.organization_id, s.start, s."end", s.schedule_id, sc.location_id, sc.practitioner_id,
               s.delivery_channel, sc.slot_type, sc.schedule_type,
               row_number() OVER (PARTITION BY sc.organization_id ORDER BY s.start, s.id) - 1 AS turn
        FROM slot s JOIN schedule sc ON sc.id = s.schedule_id JOIN organization o ON o.id = sc.organization_id
        WHERE s.status = 'free' AND s.bookable AND len(s.restrict_org_types) = 0 AND len(s.restrict_ods_codes) = 0
          AND s.start >= ? AND s.start < ?
    ), patients AS (
        SELECT id, nhs_number, organization_id,
               row_number() OVER (PARTITION BY organization_id ORDER BY shard, seq) - 1 AS turn,
               count(*) OVER (PARTITION BY organization_id) AS patients
        FROM patient WHERE state = 'normal'
    )
    SELECT f.id, f.ods_code, f.start, f."end", f.schedule_id, f.location_id, f.practitioner_id, f.delivery_channel,
           f.slot_type, f.schedule_type, p.id, p.nhs_number
    FROM free f JOIN patients p ON p.organization_id = f.organization_id AND p.turn = f.turn % p.patients
    ORDER BY f.start, f.id
"""

SLOT_COLUMNS = ("slot_id", "ods_code", "service_root", "start", "end", "schedule_id", "location_id", "practitioner_id",
                "delivery_channel", "slot_type", "schedule_type", "search_from", "search_to", "patient_id", "nhs_number")


def slot_rows(con: duckdb.DuckDBPyConnection, window: BookingWindow, search_days: int, most: int | None) -> list[tuple]:
    """One row per slot a test may book, earliest first; each patient of a practice in turn."""
    if not 1 <= search_days <= MAX_SEARCH_DAYS:
        raise GpsynthError(f"--search-days {search_days}: a GP Connect slot search covers 1 to {MAX_SEARCH_DAYS} days")
    sql = SLOTS_SQL + (f" LIMIT {int(most)}" if most else "")
    rows = []
    for (slot_id, ods, start, end, schedule_id, location_id, practitioner_id, channel, slot_type, schedule_type,
         patient_id, nhs_number) in con.execute(sql, [window.earliest, window.latest]).fetchall():
        day = start.astimezone(LONDON).date()
        rows.append((slot_id, ods, service_root(ods), instant(start), instant(end), schedule_id, location_id,
                     practitioner_id, channel, slot_type, schedule_type, day.isoformat(),
                     (day + timedelta(days=search_days - 1)).isoformat(), patient_id, nhs_number))
    return rows


def instant(moment: datetime) -> str:
    """An instant as GP Connect writes it: London wall-clock time with that date's offset."""
    return moment.astimezone(LONDON).isoformat(timespec="seconds")


PATIENT_COLUMNS = ("patient_id", "nhs_number", "ods_code", "service_root", "family", "given", "birth_date", "gender")


def patient_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    rows = con.execute("""
        SELECT p.id, p.nhs_number, o.ods_code, p.family, p.given, p.birth_date, p.gender
        FROM patient p JOIN organization o ON o.id = p.organization_id
        WHERE p.state = 'normal' ORDER BY p.shard, p.seq""").fetchall()
    return [(pid, nhs, ods, service_root(ods), family, given, born.isoformat(), gender)
            for pid, nhs, ods, family, given, born, gender in rows]


CONSUMER_COLUMNS = ("ods_code", "name", "org_type", "phone")


def consumer_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The consumer organisations (shard 0) with the phone number a booking organisation must carry."""
    rows = con.execute("SELECT ods_code, name, org_type, resource FROM organization WHERE shard = 0 ORDER BY seq").fetchall()
    return [(ods, name, org_type, phone(orjson.loads(resource))) for ods, name, org_type, resource in rows]


def phone(organization: dict) -> str:
    found = [t["value"] for t in organization.get("telecom", ()) if t.get("system") == "phone" and t.get("value")]
    return found[0] if found else "0113 496 0000"      # an Ofcom drama number: never a real line
