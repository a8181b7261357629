"""What GP Connect adds to a FHIR request, for any client built on requests: the SSP headers and the JWT, as a
requests auth hook; and the Appointment a consumer POSTs to book a slot."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import requests

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

    def __init__(self, interaction: str, scope: str) -> None:
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
# --8<-- [end:headers]


def booking(slot: dict, schedule: dict, patient: dict, description: str) -> dict:
    """The Appointment a consumer POSTs (JSON): the slot, the patient, the schedule's location and who booked it."""
    location = next(actor for actor in schedule["actor"] if actor["reference"].startswith("Location/"))
    return {
        "meta": {"profile": [SD + "GPConnect-Appointment-1"]},
        "contained": [{"resourceType": "Organization", "id": "1", "name": "My consumer system",
                       "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": CONSUMER_ODS}],
                       "telecom": [{"system": "phone", "value": "0300 000 0000"}]}],
        "extension": [{"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}}],
        "status": "booked",
        "description": description,
        "start": slot["start"],
        "end": slot["end"],
        "slot": [{"reference": f"Slot/{slot['id']}"}],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "participant": [{"actor": {"reference": f"Patient/{patient['id']}"}, "status": "accepted"},
                        {"actor": {"reference": location["reference"]}, "status": "accepted"}],
    }
