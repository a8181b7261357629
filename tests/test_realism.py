"""The demand, booking and workforce figures of the pcn and england-1pct presets (seed 1) against England's.

Each preset is generated into a store at reference dates in GMT, in BST, on the Monday after the
Easter bank holidays and after the Christmas ones; every realism metric must fall in its realistic range (see gpsynth.report.realism).
"""

from __future__ import annotations

from datetime import date

import pytest

from gpsynth.dataset import OutputOptions, generate
from gpsynth.report.realism import realism_metrics
from gpsynth.scenario import load_scenario
from gpsynth.store.database import open_store, store_info

CASES = [
    ("pcn", date(2026, 12, 3)),     # GMT, a Thursday
    ("pcn", date(2026, 6, 15)),     # BST, a Monday
    ("pcn", date(2026, 4, 13)),     # the Monday after Good Friday and Easter Monday
    ("pcn", date(2027, 1, 4)),      # a fortnight holding Christmas, Boxing Day and New Year's Day
    ("england-1pct", date(2026, 6, 15)),
    ("england-1pct", date(2026, 4, 13)),
]


@pytest.fixture(scope="module", params=CASES, ids=[f"{name}-{day}" for name, day in CASES])
def metrics(request, tmp_path_factory):
    name, as_of = request.param
    out = tmp_path_factory.mktemp(name) / "out"
    generate(load_scenario(name), 1, as_of, out, options=OutputOptions(formats=("duckdb",)), workers=2)
    con = open_store(out / "gpsynth.duckdb")
    try:
        return {m.name: m for m in realism_metrics(con, store_info(con))}
    finally:
        con.close()


@pytest.mark.parametrize("metric", [
    "Booked on the day (settled appointments)",
    "Median lead time of urgent-care (NHS 111) bookings",
    "Appointments per 1,000 patients per 30 days",
    "Rate at 75+ over rate at 15-44",
    "Women over men, rate at 15-64",
    "Bookings made on Saturdays and Sundays",
    "Video consultations",
    "Appointments with a GP",
    "Nurses who are women",
    "Did not attend (settled appointments)",
    "Overlapping appointments of one patient",
    "Appointments before the patient's registration or birth",
    "Appointments created after meta.lastUpdated or after they start",
    "Registrations before 5 July 1948 or before birth",
])
def test_the_metric_is_within_its_realistic_range(metrics, metric):
    found = metrics[metric]
    assert found.value is not None and found.holds, f"{metric}: {found.shown()} (range {found.low} to {found.high})"


def test_every_metric_is_tested(metrics):
    assert len(metrics) == 14
