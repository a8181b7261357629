"""The same GP Connect consumer as fhirpy_consumer.py, written with fhirclient 3.x, the SMART on FHIR client whose
models are FHIR STU3: search for free slots, book one, read the booking back, and see the same slot refused.

    python examples/fhirclient_consumer.py http://127.0.0.1:8080/A20047/STU3/1/gpconnect 9658218865

fhirclient sends its requests through a requests session, so the session carries the GP Connect auth hook
(gpconnect.py); each interaction gets a server object with its own hook.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from fhirclient.models.appointment import Appointment
from fhirclient.models.patient import Patient
from fhirclient.models.slot import Slot
from fhirclient.server import FHIRServer
from gpconnect import GpConnectHeaders, booking


def gp_connect(base: str, interaction: str, scope: str) -> FHIRServer:
    server = FHIRServer(None, base_uri=base)
    server.session.auth = GpConnectHeaders(interaction, scope)
    return server


def main(base: str, nhs_number: str) -> None:
    today = datetime.now(ZoneInfo("Europe/London")).date()      # the provider's days are London days
    first, last = today + timedelta(days=1), today + timedelta(days=7)
    found = Slot.where({"status": "free", "start": f"ge{first}", "end": f"le{last}", "_include": "Slot:schedule"}) \
        .perform(gp_connect(base, "rest:search:slot-1", "organization/*.read"))
    resources = [entry.resource for entry in found.entry or ()]
    slots = [resource for resource in resources if resource.resource_type == "Slot"]
    print(f"{len(slots)} free slots from {first} to {last}")
    if not slots:
        sys.exit("no free slot to book: is the store current? (gpsynth serve --roll)")
    slot = slots[0]
    schedule = next(resource for resource in resources if f"Schedule/{resource.id}" == slot.schedule.reference)

    patients = Patient.where({"identifier": f"https://fhir.nhs.uk/Id/nhs-number|{nhs_number}"}) \
        .perform(gp_connect(base, "rest:search:patient-1", "patient/*.read"))
    patient = patients.entry[0].resource

    body = {"resourceType": "Appointment",
            **booking(slot.as_json(), schedule.as_json(), patient.as_json(), "Booked with fhirclient")}
    booker = gp_connect(base, "rest:create:appointment-1", "patient/*.write")
    created = Appointment(Appointment(body).create(booker))
    print(f"booked Appointment/{created.id} for Patient/{patient.id} at {created.start.as_json()}")

    stored = Appointment.read(created.id, gp_connect(base, "rest:read:appointment-1", "patient/*.read"))
    print(f"read back: {stored.status}, version {stored.meta.versionId}, slot {stored.slot[0].reference}")

    try:
        Appointment(body).create(booker)
    except requests.HTTPError as refused:
        print(f"the same slot again: {refused.response.json()['issue'][0]['details']['coding'][0]['code']}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: python {sys.argv[0]} BASE_URL NHS_NUMBER")
    main(*sys.argv[1:])
