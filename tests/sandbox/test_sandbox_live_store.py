"""The live book and its journal: what the sandbox acknowledged survives kill -9, and a served store stays usable.

Every test runs a real `gpsynth serve` on its own copy of the store; the durability tests kill it with
SIGKILL, so nothing is folded or flushed on the way out: only what the journal had on disk can come back.
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace

import httpx
import pytest
from gpc_requests import default_claims, gpc_headers
from sandbox_process import (
    SD,
    GpcClient,
    SandboxServer,
    booking,
    days_ahead,
    entries,
    free_port,
)

from gpsynth.errors import GpsynthError
from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.store.journal import read_journal, segments
from gpsynth.store.served import ask_server, journal_folder, reading_lease, server_info

BOOKABLE_PATIENTS = ("1", "2", "3", "4", "5", "6", "7", "8", "13", "16", "17")
REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"


@pytest.fixture
def store(provider_testing_store, tmp_path):
    copy_ = tmp_path / "store" / "gpsynth.duckdb"
    copy_.parent.mkdir()
    shutil.copyfile(provider_testing_store, copy_)
    return copy_


@pytest.fixture
def served(store, tmp_path):
    server = SandboxServer(store, tmp_path / "serve.log").start()
    yield server
    server.stop()


def gpsynth(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gpsynth", *args], capture_output=True, text=True, timeout=timeout)


def kill_9(server: SandboxServer) -> None:
    server.process.kill()
    server.process.wait(timeout=20)
    server.process = None


def free_slots(gpc: GpcClient, first: int, last: int) -> list[tuple[dict, dict]]:
    bundle = gpc.free_slots(days_ahead(first), days_ahead(last)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    return [(slot, schedules[slot["schedule"]["reference"].split("/")[1]]) for slot in entries(bundle, "Slot")]


def headers(interaction: str) -> dict[str, str]:
    spec = BY_NAME[interaction]
    return {**gpc_headers(spec.interaction_id, default_claims(int(time.time()), spec.scope)),
            "Content-Type": "application/fhir+json"}


async def book_many(base: str, slots: list[tuple[dict, dict]], on_answer=None) -> dict[str, dict]:
    """Book every slot at once; {slot id: appointment} for each booking answered 201."""
    booked: dict[str, dict] = {}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=40)) as client:
        async def one(n: int, slot: dict, schedule: dict) -> None:
            body = booking(slot, schedule, patient_id=BOOKABLE_PATIENTS[n % len(BOOKABLE_PATIENTS)],
                           description=f"Burst {n}")
            try:
                answer = await client.post(base + "/Appointment", json=body, headers=headers("book_appointment"))
            except httpx.TransportError:
                return                   # the server died before answering: not acknowledged
            if answer.status_code == 201:
                booked[slot["id"]] = answer.json()
                if on_answer is not None:
                    on_answer(len(booked))
        await asyncio.gather(*(one(n, slot, schedule) for n, (slot, schedule) in enumerate(slots)),
                             return_exceptions=True)
    return booked


def test_acknowledged_changes_survive_kill_9(served, store):
    with httpx.Client(timeout=30) as http:
        gpc = GpcClient(served.base(), http)
        slots = free_slots(gpc, 2, 3)[:23]
        booked = asyncio.run(book_many(gpc.base, slots[:20]))
        assert len(booked) == 20
        to_amend = booked[slots[0][0]["id"]]
        amended_id = to_amend["id"]
        amended = gpc.call("amend_appointment", f"/Appointment/{amended_id}",
                           json={**to_amend, "description": "Amended, then killed"}).json()
        assert amended["meta"]["versionId"] == "2"
        cancelled = copy.deepcopy(booked[slots[1][0]["id"]])
        cancelled.update(status="cancelled", extension=[*cancelled["extension"], {"url": REASON, "valueString": "Kill"}])
        assert gpc.call("cancel_appointment", f"/Appointment/{cancelled['id']}", json=cancelled).status_code == 200

    kill_9(served)
    served.start()
    assert not list(read_journal(journal_folder(store))), "the journal is folded into the store at start"

    with httpx.Client(timeout=30) as http:
        gpc = GpcClient(served.base(), http)
        for appointment in booked.values():
            read = gpc.call("read_appointment", f"/Appointment/{appointment['id']}").json()
            if appointment["id"] == amended_id:
                assert read == amended
            elif appointment["id"] == cancelled["id"]:
                assert read["status"] == "cancelled" and read["meta"]["versionId"] == "2"
            else:
                assert read == appointment
        still_free = {slot["id"] for slot, _ in free_slots(gpc, 2, 3)}
        assert still_free.isdisjoint(set(booked) - {slots[1][0]["id"]})
        assert slots[1][0]["id"] in still_free, "the cancelled booking's slot is free again"


def test_kill_9_in_a_burst_keeps_every_acknowledged_booking_and_no_double_booking(served, store):
    with httpx.Client(timeout=30) as http:
        slots = free_slots(GpcClient(served.base(), http), 1, 6)[:120]
    assert len(slots) >= 100

    def kill_when_some_answered(count: int) -> None:
        if count == 30 and served.process is not None:
            served.process.kill()          # mid-burst: other bookings are in flight, some on their way to disk

    booked = asyncio.run(book_many(served.base(), slots, kill_when_some_answered))
    served.process.wait(timeout=20)
    served.process = None
    assert 30 <= len(booked) < len(slots)
    served.start()

    with httpx.Client(timeout=30) as http:
        gpc = GpcClient(served.base(), http)
        for appointment in booked.values():
            assert gpc.call("read_appointment", f"/Appointment/{appointment['id']}").json() == appointment
        free = {slot["id"] for slot, _ in free_slots(gpc, 1, 6)}
    assert free.isdisjoint(booked)
    rows = sql(store, "SELECT list_sort(slot_ids)[1] AS slot, count(*) AS n FROM appointment "
                      "WHERE status = 'booked' GROUP BY ALL HAVING count(*) > 1")
    assert rows == [], "a slot held by two booked appointments"
    busy = sql(store, "SELECT a.id FROM appointment a JOIN slot s ON s.id = a.slot_ids[1] "
                      "WHERE a.status = 'booked' AND s.status <> 'busy'")
    assert busy == [], "a booked appointment whose slot is not busy"


def sql(store, query: str) -> list[dict]:
    done = gpsynth("sql", str(store), query, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_other_commands_see_a_booking_made_a_moment_before_on_a_served_store(served, store, tmp_path):
    with httpx.Client(timeout=30) as http:
        gpc = GpcClient(served.base(), http)
        (slot, schedule), (later, later_schedule) = free_slots(gpc, 2, 2)[:2]
        appointment = gpc.call("book_appointment", "/Appointment", json=booking(slot, schedule)).json()

        rows = sql(store, f"SELECT status, version_id FROM appointment WHERE id = '{appointment['id']}'")
        assert rows == [{"status": "booked", "version_id": 1}]
        exported = gpsynth("export", str(store), "--format", "ndjson", "--out", str(tmp_path / "export"))
        assert exported.returncode == 0, exported.stderr
        lines = (tmp_path / "export" / "ndjson" / "Appointment.ndjson").read_text().splitlines()
        assert appointment in [json.loads(line) for line in lines]

        # The commands are done: the server writes the store again, and goes on serving.
        again = gpc.call("book_appointment", "/Appointment", json=booking(later, later_schedule))
        assert again.status_code == 201
        assert gpc.call("read_appointment", f"/Appointment/{appointment['id']}").json() == appointment
    assert sql(store, f"SELECT count(*) AS n FROM appointment WHERE id = '{again.json()['id']}'") == [{"n": 1}]


def test_a_journal_left_by_a_dead_server_is_folded_in_by_the_next_command(served, store):
    with httpx.Client(timeout=30) as http:
        gpc = GpcClient(served.base(), http)
        slot, schedule = free_slots(gpc, 3, 3)[0]
        appointment = gpc.call("book_appointment", "/Appointment", json=booking(slot, schedule)).json()
    kill_9(served)                      # at once: the booking is in the journal only
    rows = sql(store, f"SELECT status FROM appointment WHERE id = '{appointment['id']}'")
    assert rows == [{"status": "booked"}]
    assert not segments(journal_folder(store))
    assert sql(store, f"SELECT status FROM slot WHERE id = '{slot['id']}'") == [{"status": "busy"}]


def test_a_second_server_on_the_same_store_names_the_running_one(served, store, tmp_path):
    second = gpsynth("serve", str(store), "--port", str(free_port()))
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    assert second.stderr.startswith("error: ") and f"PID {served.process.pid}" in second.stderr
    assert served.origin in second.stderr


def test_refresh_of_a_served_store_is_done_by_its_server(served, store):
    done = gpsynth("refresh", str(store))
    assert done.returncode == 0, done.stderr
    with httpx.Client(timeout=30) as http:
        assert GpcClient(served.base(), http).free_slots(days_ahead(1), days_ahead(1)).status_code == 200


def test_administration_writes_wait_while_another_command_reads_the_store(store, tmp_path):
    server = SandboxServer(store, tmp_path / "admin.log", "--admin").start()
    try:
        with httpx.Client(timeout=30) as http:
            url = f"{server.origin}/_gpsynth/fhir/Organization/GPSU01"
            organisation = http.get(url).json()
            renamed = {**organisation, "name": "Renamed while read"}
            lease = reading_lease(store)          # what `gpsynth sql` holds while it runs
            assert lease is not None
            try:
                refused = http.put(url, json=renamed, headers={"Content-Type": "application/fhir+json"})
                assert refused.status_code == 503 and refused.headers["Retry-After"]
                assert "being read by another gpsynth command" in refused.text
            finally:
                lease.close()
            deadline = time.monotonic() + 20
            while (done := http.put(url, json=renamed, headers={"Content-Type": "application/fhir+json"})).status_code == 503:
                assert time.monotonic() < deadline, "the server never took the store back"
                time.sleep(0.2)
            assert done.status_code == 200 and http.get(url).json()["name"] == "Renamed while read"
    finally:
        server.stop()


def test_the_control_port_wants_the_token_from_the_live_folder(served, store):
    info = server_info(store)
    assert info is not None and info.pid == served.process.pid
    with pytest.raises(GpsynthError, match="wrong control token"):
        ask_server(replace(info, token="guessed"), "lease")
    connection, answer = ask_server(info, "checkpoint")
    connection.close()
    assert answer.endswith("changes folded")
