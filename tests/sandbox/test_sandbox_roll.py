"""Rolling the horizon: a store generated days ago is brought up to today without losing a row."""

import shutil

import httpx
import pytest
from click.testing import CliRunner
from sandbox_process import GpcClient, SandboxServer, booking, days_ahead, entries

from gpsynth.cli import main
from gpsynth.roll import roll_store
from gpsynth.store import open_store, store_info, transaction

DAYS_BEHIND = 3
SLOT_FACTS = 'SELECT schedule_id, start, "end", status, delivery_channel, bookable FROM slot'


@pytest.fixture(scope="module")
def old_store(tmp_path_factory):
    """The gpc-provider-testing store as generated three days ago."""
    out = tmp_path_factory.mktemp("old") / "store"
    result = CliRunner().invoke(main, ["generate", "--scenario", "gpc-provider-testing", "--as-of",
                                       days_ahead(-DAYS_BEHIND).isoformat(), "--format", "duckdb", "--workers", "1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "gpsynth.duckdb"


def copy_of(store, tmp_path, name="copy.duckdb"):
    target = tmp_path / name
    shutil.copyfile(store, target)
    return target


def test_roll_adds_the_new_days_and_keeps_every_row(old_store, provider_testing_store, tmp_path):
    con = open_store(copy_of(old_store, tmp_path), read_only=False)
    before = {t: dict(con.execute(f"SELECT id, version_id FROM {t}").fetchall()) for t in ("slot", "appointment")}
    old_last = con.execute("SELECT max(start) FROM slot").fetchall()[0][0]
    with transaction(con):
        rolled = roll_store(con, days_ahead(0))
    assert (rolled.days, rolled.previous_as_of, rolled.as_of) == (DAYS_BEHIND, days_ahead(-DAYS_BEHIND), days_ahead(0))
    assert rolled.slots > 0 and rolled.appointments > 0
    assert store_info(con).as_of == days_ahead(0)
    for table, versions in before.items():
        after = dict(con.execute(f"SELECT id, version_id FROM {table}").fetchall())
        assert {i: after[i] for i in versions} == versions, f"every {table} row is kept as it was"
        assert con.execute(f"SELECT count(*) = count(DISTINCT id) FROM {table}").fetchall()[0][0]
    assert con.execute("SELECT count(*) FROM slot").fetchall()[0][0] == len(before["slot"]) + rolled.slots
    ends = {row[0] for row in con.execute("SELECT planning_end FROM schedule").fetchall()}
    assert ends == {days_ahead(15)}

    fresh = open_store(provider_testing_store)
    new_days = f"WHERE start > '{old_last.isoformat()}'::TIMESTAMPTZ ORDER BY ALL"
    assert con.execute(f"{SLOT_FACTS} {new_days}").fetchall() == fresh.execute(f"{SLOT_FACTS} {new_days}").fetchall(), \
        "the new days hold what a generation today holds on them"
    fresh.close()
    with transaction(con):
        assert roll_store(con, days_ahead(0)).days == 0
    con.close()


def test_refresh_command(old_store, tmp_path):
    store = copy_of(old_store, tmp_path)
    first = CliRunner().invoke(main, ["refresh", str(store)])
    assert first.exit_code == 0 and f"{DAYS_BEHIND} new days" in first.output
    again = CliRunner().invoke(main, ["refresh", str(store)])
    assert again.exit_code == 0 and "already current" in again.output


def test_serve_roll_keeps_bookings_and_offers_the_new_days(old_store, tmp_path):
    store = copy_of(old_store, tmp_path)
    server = SandboxServer(store, tmp_path / "serve.log").start()
    try:
        with httpx.Client(timeout=30) as http:
            gpc = GpcClient(server.base(), http)
            assert "entry" not in gpc.free_slots(days_ahead(14), days_ahead(15)).json(), "beyond the old horizon"
            bundle = gpc.free_slots(days_ahead(2), days_ahead(2)).json()
            slot = entries(bundle, "Slot")[0]
            schedule = next(s for s in entries(bundle, "Schedule") if f"Schedule/{s['id']}" == slot["schedule"]["reference"])
            appointment = gpc.call("book_appointment", "/Appointment", json=booking(slot, schedule)).json()
            server.stop()
            server.options = ("--roll",)
            server.start()
            assert gpc.call("read_appointment", f"/Appointment/{appointment['id']}").json() == appointment
            assert entries(gpc.free_slots(days_ahead(14), days_ahead(15)).json(), "Slot")
    finally:
        server.stop()
    assert "rolled from" in (tmp_path / "serve.log").read_text()
