"""The upcoming appointments, busy slots and patients the live book holds in memory stay the store's versions.

Driven in process over a real store copy: what the held rows answer must equal what the store answers
after every kind of change (an interaction's change folded by a checkpoint, a direct store write).
"""

from __future__ import annotations

import asyncio
import shutil
import time

import orjson
import pytest

from gpsynth.sandbox.live_book import LiveBook
from gpsynth.sandbox.store_access import StoreAccess
from gpsynth.sandbox.times import day_start, london_today, seconds
from gpsynth.store.live_rows import new_row, rows_where, stored_rows


@pytest.fixture
def store(provider_testing_store, tmp_path):
    copy = tmp_path / "gpsynth.duckdb"
    shutil.copyfile(provider_testing_store, copy)
    return copy


def run(store_path, tmp_path, scenario):
    async def main():
        access = StoreAccess(store_path)
        book = LiveBook(access, tmp_path / "journal")
        try:
            await book.hold_upcoming()
            return await scenario(access, book)
        finally:
            await book.close()
            access.close()
    return asyncio.run(main())


def stored(access: StoreAccess, resource_type: str, row_id: str):
    found = access.read_now(lambda con: stored_rows(con, resource_type, "id", [row_id]))
    return found[0] if found else None


def test_every_upcoming_appointment_and_busy_slot_is_held_as_stored(store, tmp_path):
    async def scenario(access, book):
        since = day_start(london_today(time.time()))
        for resource_type, condition in (("Appointment", "start >= to_timestamp(?)"),
                                         ("Slot", "start >= to_timestamp(?) AND status <> 'free'")):
            expected = access.read_now(lambda con, t=resource_type, c=condition: rows_where(con, t, c, [since]))
            assert expected, f"the store has no upcoming {resource_type} to hold"
            assert book.held.holds(resource_type)
            assert {row.id: row for row in expected} == book.held.tables[resource_type].newest()
            for row in expected[:20]:
                assert await book.row(resource_type, row.id) == row
    run(store, tmp_path, scenario)


def test_a_checkpoint_puts_the_versions_it_folds_in_the_held_rows(store, tmp_path):
    async def scenario(access, book):
        appointment = next(row for row in book.held.tables["Appointment"].newest().values()
                           if row.columns["status"] == "booked")
        resource = {**orjson.loads(appointment.resource), "comment": "Held and folded"}
        await book.commit([appointment.changed(resource, appointment.last_updated)])
        assert (await book.row("Appointment", appointment.id)).version_id == appointment.version_id + 1
        assert await book.checkpoint() == 1
        held, in_store = book.held.get("Appointment", appointment.id), stored(access, "Appointment", appointment.id)
        assert held == in_store and held.version_id == appointment.version_id + 1
        assert orjson.loads(held.resource)["comment"] == "Held and folded"
    run(store, tmp_path, scenario)


def test_a_direct_store_write_makes_the_rows_be_read_again(store, tmp_path):
    async def scenario(access, book):
        appointment = next(iter(book.held.tables["Appointment"].newest().values()))
        async with book.exclusive():
            assert not book.held.holds("Appointment")
            await access.write_locked(lambda con: con.execute(
                "UPDATE appointment SET version_id = version_id + 5 WHERE id = ?", [appointment.id]).fetchall())
        for _ in range(100):
            if book.held.holds("Appointment"):
                break
            await asyncio.sleep(0.05)
        assert book.held.get("Appointment", appointment.id).version_id == appointment.version_id + 5
    run(store, tmp_path, scenario)


def test_a_patients_upcoming_appointments_come_from_the_held_rows(store, tmp_path):
    async def scenario(access, book):
        since = day_start(london_today(time.time()))
        appointment = next(iter(book.held.tables["Appointment"].newest().values()))
        patient_id = appointment.columns["patient_id"]
        in_store = access.read_now(lambda con: stored_rows(con, "Appointment", "patient_id", [patient_id]))
        upcoming = {row.id for row in in_store if seconds(row.columns["start"]) >= since}
        assert appointment.id in upcoming
        assert {row.id for row in await book.appointments_of(patient_id, since)} == upcoming
    run(store, tmp_path, scenario)


def test_every_patient_is_held_as_stored_and_found_by_nhs_number(store, tmp_path):
    async def scenario(access, book):
        expected = access.read_now(lambda con: rows_where(con, "Patient", "true", []))
        assert book.held.holds("Patient") and {row.id: row for row in expected} == book.held.tables["Patient"].newest()
        for row in expected[:50]:
            assert await book.row("Patient", row.id) == row
            in_store = access.read_now(lambda con, n=row.columns["nhs_number"]: stored_rows(con, "Patient", "nhs_number", [n]))
            assert await book.stored("Patient", "nhs_number", row.columns["nhs_number"]) == in_store
        assert await book.row("Patient", "no-such-patient") is None
        numbers = {row.columns["nhs_number"] for row in expected}
        fresh = next(n for n in (f"999{k:07d}" for k in range(10_000_000)) if n not in numbers)
        assert await book.stored("Patient", "nhs_number", fresh) == []
        # A patient registered and folded into the store is held, and found by its NHS number, afterwards.
        patient = expected[0]
        await book.commit([new_row("Patient", {**orjson.loads(patient.resource), "id": "held-fresh"},
                                   patient.last_updated, patient.shard, {**patient.columns, "nhs_number": fresh})])
        assert await book.checkpoint() == 1
        assert await book.stored("Patient", "nhs_number", fresh) == [stored(access, "Patient", "held-fresh")]
        assert book.held.get("Patient", "held-fresh") == stored(access, "Patient", "held-fresh")
    run(store, tmp_path, scenario)


def test_a_burst_of_changes_past_the_size_starts_one_checkpoint_not_one_each(store, tmp_path):
    async def main():
        access = StoreAccess(store)
        book = LiveBook(access, tmp_path / "journal", max_rows=5)
        try:
            await book.hold_upcoming()
            appointments = list(book.held.tables["Appointment"].newest().values())[:40]
            for appointment in appointments:        # in one turn of the event loop, as a burst of requests is
                book.commit([appointment.changed({**orjson.loads(appointment.resource), "comment": "burst"},
                                                 appointment.last_updated)])
            due = [task for task in book.tasks if task.get_coro().__name__ == "_due_checkpoint"]
            assert len(due) == 1
            await asyncio.gather(*due)
            assert not book.entries          # that one checkpoint folded the whole burst
            for appointment in appointments:
                assert orjson.loads((await book.row("Appointment", appointment.id)).resource)["comment"] == "burst"
        finally:
            await book.close()
            access.close()
    asyncio.run(main())
