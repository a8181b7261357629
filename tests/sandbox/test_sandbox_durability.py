"""The one writer: changes survive a restart, and fifty consumers racing for one slot get exactly one booking."""

import asyncio
import copy
import time
from collections import Counter

import httpx
from gpc_requests import default_claims, gpc_headers
from sandbox_process import SD, booking, days_ahead, entries

from gpsynth.sandbox.interactions import BY_NAME

REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
BOOKABLE_PATIENTS = ("1", "2", "3", "4", "5", "6", "7", "8", "13", "16", "17")


def slots_of_day(gpc, n):
    bundle = gpc.free_slots(days_ahead(n), days_ahead(n)).json()
    schedules = {s["id"]: s for s in entries(bundle, "Schedule")}
    return [(slot, schedules[slot["schedule"]["reference"].split("/")[1]]) for slot in entries(bundle, "Slot")]


def test_restart_keeps_bookings_amendments_and_cancellations(server, gpc):
    (kept, kept_schedule), (amended, amended_schedule), (cancelled, cancelled_schedule) = slots_of_day(gpc, 3)[:3]
    booked = gpc.call("book_appointment", "/Appointment", json=booking(kept, kept_schedule)).json()
    to_amend = gpc.call("book_appointment", "/Appointment", json=booking(amended, amended_schedule)).json()
    changed = gpc.call("amend_appointment", f"/Appointment/{to_amend['id']}",
                       json={**to_amend, "description": "Amended before the restart"}).json()
    to_cancel = gpc.call("book_appointment", "/Appointment", json=booking(cancelled, cancelled_schedule)).json()
    body = copy.deepcopy(to_cancel)
    body.update(status="cancelled", extension=[*body["extension"], {"url": REASON, "valueString": "Restart test"}])
    assert gpc.call("cancel_appointment", f"/Appointment/{to_cancel['id']}", json=body).status_code == 200

    server.stop()
    server.start()

    assert gpc.call("read_appointment", f"/Appointment/{booked['id']}").json() == booked
    assert gpc.call("read_appointment", f"/Appointment/{to_amend['id']}").json() == changed
    assert gpc.call("read_appointment", f"/Appointment/{to_cancel['id']}").json()["status"] == "cancelled"
    free = {slot["id"] for slot, _ in slots_of_day(gpc, 3)}
    assert kept["id"] not in free and amended["id"] not in free and cancelled["id"] in free
    another = slots_of_day(gpc, 4)[0]
    newer = gpc.call("book_appointment", "/Appointment", json=booking(*another)).json()
    assert int(newer["id"].rsplit("A", 1)[1]) > int(to_cancel["id"].rsplit("A", 1)[1]), "ids carry on, never reused"


def test_fifty_concurrent_bookings_of_one_slot_give_one_appointment(server, gpc):
    slot, schedule = slots_of_day(gpc, 5)[0]
    spec = BY_NAME["book_appointment"]

    async def race() -> list[int]:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            async def attempt(n: int) -> int:
                body = booking(slot, schedule, patient_id=BOOKABLE_PATIENTS[n % len(BOOKABLE_PATIENTS)],
                               description=f"Racer {n}")
                headers = {**gpc_headers(spec.interaction_id, default_claims(int(time.time()), spec.scope)),
                           "Content-Type": "application/fhir+json"}
                response = await client.post(gpc.base + "/Appointment", json=body, headers=headers)
                return response.status_code
            return await asyncio.gather(*(attempt(n) for n in range(50)))

    statuses = Counter(asyncio.run(race()))
    assert statuses == {201: 1, 409: 49}
    day = slot["start"][:10]
    found = []
    for patient in BOOKABLE_PATIENTS:
        bundle = gpc.call("retrieve_appointments", f"/Patient/{patient}/Appointment",
                          params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{day}")]).json()
        found += [a for a in entries(bundle) if a["slot"] == [{"reference": f"Slot/{slot['id']}"}]]
    assert len(found) == 1 and found[0]["description"].startswith("Racer")
