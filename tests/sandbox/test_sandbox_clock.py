"""The sandbox's clock is injectable: what has started by its clock can no longer be offered, booked, read or changed."""

import asyncio
import shutil

import httpx
import pytest
from gpc_requests import default_claims, gpc_headers
from sandbox_process import booking, days_ahead, entries

from gpsynth.sandbox.app import Sandbox
from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.sandbox.times import day_start, seconds

ROOT = "http://sandbox/A20047/STU3/1/gpconnect"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox(provider_testing_store, tmp_path):
    store = tmp_path / "copy.duckdb"
    shutil.copyfile(provider_testing_store, store)
    clock = Clock(day_start(days_ahead(2)) + 8 * 3600)         # 08:00 on the day after tomorrow
    sandbox = Sandbox(store, clock=clock)
    yield sandbox, clock
    sandbox.store.close()


def call(sandbox, clock, interaction, path, params=None, body=None):
    spec = BY_NAME[interaction]
    headers = {**gpc_headers(spec.interaction_id, default_claims(int(clock.now), spec.scope)),
               "Content-Type": "application/fhir+json"}

    async def send():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url=ROOT) as client:
            return await client.request(spec.method, ROOT + path, params=params, json=body, headers=headers)
    return asyncio.run(send())


def test_the_clock_decides_what_has_started(sandbox):
    sandbox, clock = sandbox
    day = days_ahead(2)
    search = {"status": "free", "start": f"ge{day}", "end": f"le{day}", "_include": "Slot:schedule"}
    bundle = call(sandbox, clock, "search_free_slots", "/Slot", params=search).json()
    slots = entries(bundle, "Slot")
    assert slots and min(seconds(s["start"]) for s in slots) >= clock.now, "nothing before 08:00 is offered"
    slot = next(s for s in slots if seconds(s["start"]) >= clock.now + 3600)
    schedule = next(s for s in entries(bundle, "Schedule") if f"Schedule/{s['id']}" == slot["schedule"]["reference"])
    booked = call(sandbox, clock, "book_appointment", "/Appointment", body=booking(slot, schedule))
    assert booked.status_code == 201
    appointment = booked.json()

    clock.now = seconds(slot["start"]) + 60                   # the appointment has begun
    read = call(sandbox, clock, "read_appointment", f"/Appointment/{appointment['id']}")
    assert read.status_code == 422
    amended = call(sandbox, clock, "amend_appointment", f"/Appointment/{appointment['id']}",
                   body={**appointment, "description": "Too late"})
    assert amended.status_code == 422 and "future" in amended.json()["issue"][0]["diagnostics"]
    assert slot["id"] not in {s["id"] for s in entries(call(sandbox, clock, "search_free_slots", "/Slot",
                                                            params=search).json(), "Slot")}
