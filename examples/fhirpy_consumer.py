"""A GP Connect consumer written with fhirpy, a generic FHIR client: search for free slots, book one, read the
booking back, and see the provider refuse the same slot twice.

    python examples/fhirpy_consumer.py http://127.0.0.1:8080/A20047/STU3/1/gpconnect 9658218865

GP Connect asks more of a request than plain FHIR does: SSP headers naming the consumer, the provider and the
interaction, a new Ssp-TraceID each time, and an unsigned JWT carrying the interaction's scope. fhirpy's sync client
sends what a requests auth hook adds (gpconnect.py), so each interaction gets a client with its own hook.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome
from gpconnect import GpConnectHeaders, booking


# --8<-- [start:client]
def gp_connect(base: str, interaction: str, scope: str) -> SyncFHIRClient:
    return SyncFHIRClient(base, requests_config={"auth": GpConnectHeaders(interaction, scope), "timeout": 30})
# --8<-- [end:client]


def main(base: str, nhs_number: str) -> None:
    today = datetime.now(ZoneInfo("Europe/London")).date()      # the provider's days are London days
    first, last = today + timedelta(days=1), today + timedelta(days=7)
    # --8<-- [start:calls]
    found = (gp_connect(base, "rest:search:slot-1", "organization/*.read").resources("Slot")
             .search(status="free", start__ge=first.isoformat(), end__le=last.isoformat())
             .include("Slot", "schedule").fetch_raw())
    resources = [entry["resource"] for entry in found.get("entry", [])]
    slots = [resource for resource in resources if resource["resourceType"] == "Slot"]
    print(f"{len(slots)} free slots from {first} to {last}")
    if not slots:
        sys.exit("no free slot to book: is the store current? (gpsynth serve --roll)")
    slot = slots[0]
    schedule = next(resource for resource in resources if f"Schedule/{resource['id']}" == slot["schedule"]["reference"])

    patient = (gp_connect(base, "rest:search:patient-1", "patient/*.read").resources("Patient")
               .search(identifier=f"https://fhir.nhs.uk/Id/nhs-number|{nhs_number}").fetch())[0]

    booker = gp_connect(base, "rest:create:appointment-1", "patient/*.write")
    appointment = booker.resource("Appointment", **booking(slot, schedule, patient, "Booked with fhirpy"))
    appointment.save()
    print(f"booked Appointment/{appointment['id']} for Patient/{patient['id']} at {appointment['start']}")

    read = gp_connect(base, "rest:read:appointment-1", "patient/*.read").reference("Appointment", appointment["id"])
    stored = read.to_resource()
    print(f"read back: {stored['status']}, version {stored['meta']['versionId']}, slot {stored['slot'][0]['reference']}")
    # --8<-- [end:calls]

    try:
        booker.resource("Appointment", **booking(slot, schedule, patient, "Booked with fhirpy")).save()
    except OperationOutcome as refused:
        print(f"the same slot again: {refused.resource['issue'][0]['details']['coding'][0]['code']}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: python {sys.argv[0]} BASE_URL NHS_NUMBER")
    main(*sys.argv[1:])
