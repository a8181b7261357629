"""A GP Connect consumer written with fhirpy, a generic FHIR client: search for free slots, book one, read the
booking back, and see the provider refuse the same slot twice.

    python examples/fhir_client.py http://127.0.0.1:8080/A20047/STU3/1/gpconnect 9658218865

GP Connect asks more of a request than plain FHIR does: SSP headers naming the consumer, the provider and the
interaction, a new Ssp-TraceID each time, and an unsigned JWT carrying the interaction's scope. fhirpy sends
what a requests auth hook adds, so each interaction gets a client whose hook adds those headers.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

from gpsynth.sandbox.tokens import consumer_token

CONSUMER_ASID = "200000000359"          # Ssp-From: the consumer system's ASID
PROVIDER_ASID = "918999198993"          # Ssp-To: the provider's; `gpsynth serve --provider-asid` sets the sandbox's
CONSUMER_ODS = "GPCA0001"               # the booking organisation
AUDIENCE = "https://authorize.fhir.nhs.net/token"
INTERACTION = "urn:nhs:names:services:gpconnect:fhir:"
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"


# --8<-- [start:headers]
class GpConnectHeaders(requests.auth.AuthBase):
    """Adds the SSP headers and a JWT for `scope` to every request made for one interaction."""

    def __init__(self, interaction: str, scope: str):
        self.interaction, self.scope = interaction, scope

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update({
            "Ssp-TraceID": str(uuid.uuid4()),
            "Ssp-From": CONSUMER_ASID,
            "Ssp-To": PROVIDER_ASID,
            "Ssp-InteractionID": INTERACTION + self.interaction,
            "Authorization": f"Bearer {consumer_token(int(time.time()), self.scope, AUDIENCE, CONSUMER_ODS)}",
        })
        if request.body:                # requests labels JSON bodies application/json; FHIR wants its own type
            request.headers["Content-Type"] = "application/fhir+json"
        return request


def gp_connect(base: str, interaction: str, scope: str) -> SyncFHIRClient:
    return SyncFHIRClient(base, requests_config={"auth": GpConnectHeaders(interaction, scope), "timeout": 30})
# --8<-- [end:headers]


def booking(slot: dict, schedule: dict, patient: dict) -> dict:
    """The Appointment a consumer POSTs: the slot, the patient, the schedule's location and who booked it."""
    location = next(actor for actor in schedule["actor"] if actor["reference"].startswith("Location/"))
    return {
        "meta": {"profile": [SD + "GPConnect-Appointment-1"]},
        "contained": [{"resourceType": "Organization", "id": "1", "name": "My consumer system",
                       "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": CONSUMER_ODS}],
                       "telecom": [{"system": "phone", "value": "0300 000 0000"}]}],
        "extension": [{"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}}],
        "status": "booked",
        "description": "Booked with fhirpy",
        "start": slot["start"],
        "end": slot["end"],
        "slot": [{"reference": f"Slot/{slot['id']}"}],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "participant": [{"actor": {"reference": f"Patient/{patient['id']}"}, "status": "accepted"},
                        {"actor": {"reference": location["reference"]}, "status": "accepted"}],
    }


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
    appointment = booker.resource("Appointment", **booking(slot, schedule, patient))
    appointment.save()
    print(f"booked Appointment/{appointment['id']} for Patient/{patient['id']} at {appointment['start']}")

    read = gp_connect(base, "rest:read:appointment-1", "patient/*.read").reference("Appointment", appointment["id"])
    stored = read.to_resource()
    print(f"read back: {stored['status']}, version {stored['meta']['versionId']}, slot {stored['slot'][0]['reference']}")
    # --8<-- [end:calls]

    try:
        booker.resource("Appointment", **booking(slot, schedule, patient)).save()
    except OperationOutcome as refused:
        print(f"the same slot again: {refused.resource['issue'][0]['details']['coding'][0]['code']}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: python {sys.argv[0]} BASE_URL NHS_NUMBER")
    main(*sys.argv[1:])
