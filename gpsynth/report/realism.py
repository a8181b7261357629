"""How a dataset compares with English general practice: each realism metric beside its published figure.

Every metric is read from a store. "Settled" appointments are those that start in the history window
(before the reference date), the book as it finally was; rates are per registered patient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import yaml

from ..calendar import bank_holiday_name, days_between
from ..generate.staff import DOCTOR_ROLES
from ..store.database import StoreInfo
from .queries import horizon

NURSE_ROLES = ("R0600", "R0620")
LONDON_DAY = "CAST(timezone('Europe/London', {}) AS DATE)"
REGISTRATION_FLOOR = date(1948, 7, 5)   # the NHS began; no registration can be older
# England has about 253 working days a year (weekdays less 8 bank holidays): about 20.8 in 30 days.
WORKING_DAYS_PER_30 = 253 / 365 * 30


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    unit: str                  # "%", "days", "ratio", "count" or "per 1,000"
    low: float | None          # the range a realistic dataset falls in (None: unbounded)
    high: float | None
    reference: str             # the published figure, with its source

    @property
    def holds(self) -> bool | None:
        if self.value is None:
            return None
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "%":
            return f"{self.value:.1%}"
        if self.unit == "count":
            return f"{self.value:,.0f}"
        return f"{self.value:,.2f}"


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[object] = ()) -> float | None:
    row = con.execute(sql, list(params)).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _settled(first: date, as_of: date) -> str:
    return (f"a.status <> 'cancelled' AND {LONDON_DAY.format('a.start')} >= DATE '{first}' "
            f"AND {LONDON_DAY.format('a.start')} < DATE '{as_of}'")


def _rate(con, settled: str, days: int, patients: str) -> float | None:
    """Settled appointments per patient-year of the patients matching `patients` (SQL over p)."""
    return _one(con, f"""
        WITH who AS (SELECT p.id FROM patient p WHERE p.registration_end IS NULL AND {patients})
        SELECT (SELECT count(*) FROM appointment a WHERE {settled} AND a.patient_id IN (SELECT id FROM who))
               / nullif((SELECT count(*) FROM who), 0) * 365.0 / {days}""")


def working_days(first: date, until: date) -> int:
    """Weekdays from `first` up to, not including, `until` that are not England bank holidays."""
    return sum(1 for day in days_between(first, until - timedelta(days=1))
               if day.weekday() < 5 and not bank_holiday_name(day))


def realism_metrics(con: duckdb.DuckDBPyConnection, info: StoreInfo) -> list[Metric]:
    window = horizon(info)
    days = max(1, (info.as_of - window.first).days)
    settled = _settled(window.first, info.as_of)
    age = f"date_sub('year', p.birth_date, DATE '{info.as_of}')"
    gp_roles = ", ".join(f"'{r}'" for r in sorted(DOCTOR_ROLES))
    nurse_roles = ", ".join(f"'{r}'" for r in NURSE_ROLES)
    old, young = _rate(con, settled, days, f"{age} >= 75"), _rate(con, settled, days, f"{age} BETWEEN 15 AND 44")
    women = _rate(con, settled, days, f"{age} BETWEEN 15 AND 64 AND p.gender = 'female'")
    men = _rate(con, settled, days, f"{age} BETWEEN 15 AND 64 AND p.gender = 'male'")
    # Published monthly figures average over working days, so the window's rate is taken per working day:
    # a window holding Christmas or Easter is not read as a quiet month.
    open_days = working_days(window.first, info.as_of)
    per_year = _rate(con, settled, max(1, open_days), "TRUE")
    lead = f"({LONDON_DAY.format('a.start')} - {LONDON_DAY.format('a.created')})"
    return [
        Metric("Booked on the day (settled appointments)", _one(con, f"""
            SELECT avg(CASE WHEN {lead} = 0 THEN 1 ELSE 0 END) FROM appointment a WHERE {settled}"""),
            "%", 0.30, 0.55, "about 40-45 % (NHS Digital, Appointments in General Practice, time from booking)"),
        Metric("Median lead time of urgent-care (NHS 111) bookings", _one(con, f"""
            SELECT median({lead}) FROM appointment a WHERE a.booking_org_type = 'urgent-care'"""),
            "days", 0, 1, "today or tomorrow (NHS 111 direct booking)"),
        Metric("Appointments per 1,000 patients per 30 days",
               None if per_year is None or not open_days else per_year / 365 * 1000 * WORKING_DAYS_PER_30,
               "per 1,000", 300, 700, "about 450-500 (NHS Digital, Appointments in General Practice: ~30 million a month)"),
        Metric("Rate at 75+ over rate at 15-44", None if not (old and young) else old / young,
               "ratio", 1.5, None, "about 2-3 (consultation rates by age, Hobbs et al., Lancet 2016)"),
        Metric("Women over men, rate at 15-64", None if not (women and men) else women / men,
               "ratio", 1.15, 1.6, "about 1.3-1.5 (Hobbs et al., Lancet 2016; GP Patient Survey)"),
        Metric("Bookings made on Saturdays and Sundays", _one(con, """
            SELECT avg(CASE WHEN isodow(timezone('Europe/London', a.created)) >= 6 THEN 1 ELSE 0 END)
            FROM appointment a"""), "%", 0, 0.10, "a few % (practices are closed; NHS 111 books 24/7)"),
        Metric("Video consultations", _one(con, """
            SELECT avg(CASE WHEN a.delivery_channel = 'Video' THEN 1 ELSE 0 END) FROM appointment a
            WHERE a.status <> 'cancelled'"""), "%", 0, 0.03, "under 1 % (NHS Digital, mode of appointment)"),
        Metric("Appointments with a GP", _one(con, f"""
            SELECT avg(CASE WHEN a.role_code IN ({gp_roles}) THEN 1 ELSE 0 END) FROM appointment a
            WHERE a.status <> 'cancelled'"""), "%", 0.35, 0.60,
            "about 44 % (NHS Digital, Appointments in General Practice, by HCP type)"),
        Metric("Nurses who are women", _one(con, f"""
            SELECT avg(CASE WHEN gender = 'female' THEN 1 ELSE 0 END) FROM practitioner
            WHERE role_code IN ({nurse_roles})"""), "%", 0.80, None,
            "about 90 % (NHS Digital, General Practice Workforce)"),
        Metric("Did not attend (settled appointments)", _one(con, f"""
            SELECT avg(CASE WHEN a.status = 'noshow' THEN 1 ELSE 0 END) FROM appointment a WHERE {settled}"""),
            "%", 0.02, 0.08, "about 4-5 % (NHS Digital, Appointments in General Practice)"),
        Metric("Overlapping appointments of one patient", _one(con, """
            SELECT count(*) FROM appointment a JOIN appointment b ON a.patient_id = b.patient_id AND a.id < b.id
            WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' AND a.start < b."end" AND b.start < a."end" """),
            "count", 0, 0, "none"),
        Metric("Appointments before the patient's registration or birth", _one(con, f"""
            SELECT count(*) FROM appointment a JOIN patient p ON p.id = a.patient_id
            WHERE {LONDON_DAY.format('a.start')} < greatest(p.registration_start, p.birth_date)"""),
            "count", 0, 0, "none"),
        Metric("Appointments created after meta.lastUpdated or after they start", _one(con, """
            SELECT count(*) FROM appointment a WHERE a.created > a.last_updated OR a.created > a.start"""),
            "count", 0, 0, "none"),
        Metric("Registrations before 5 July 1948 or before birth", _one(con, f"""
            SELECT count(*) FROM patient WHERE registration_start < DATE '{REGISTRATION_FLOOR}'
            OR registration_start < birth_date"""), "count", 0, 0, "none (the NHS began on 5 July 1948)"),
    ]


def rates_by_age(con: duckdb.DuckDBPyConnection, info: StoreInfo) -> list[tuple[str, float, float]]:
    """(age band, settled appointments per patient-year in the dataset, the scenario's rate for the band).

    The scenario's rate is the mean of its female and male rates, times its demand scale; bands come
    from the store's own rules, so a store made without a demand model shows none."""
    rules = (yaml.safe_load(info.scenario_yaml) or {}).get("demand", {})
    window = horizon(info)
    days = max(1, (info.as_of - window.first).days)
    settled = _settled(window.first, info.as_of)
    age = f"date_sub('year', p.birth_date, DATE '{info.as_of}')"
    rows = []
    for band, by_sex in (rules.get("rates_per_year") or {}).items():
        low, high = (int(x) for x in str(band).split("-"))
        found = _rate(con, settled, days, f"{age} BETWEEN {low} AND {high}")
        reference = (by_sex["female"] + by_sex["male"]) / 2 * float(rules.get("scale", 1.0))
        rows.append((str(band), round(found or 0.0, 1), round(reference, 1)))
    return rows
