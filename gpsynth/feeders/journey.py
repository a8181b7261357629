"""The consumer journey every load-test script follows, and the GP Connect names it uses, for the script templates.

search free slots → book appointment → read appointment → cancel appointment, each request with the SSP
headers and a new unsigned JWT carrying the interaction's scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..fhir import constants as c
from ..sandbox.interactions import BY_NAME


@dataclass(frozen=True)
class Step:
    key: str                # the script's name for the step
    label: str              # the request name in the tool's statistics
    interaction_id: str     # Ssp-InteractionID
    scope: str              # the JWT's requested_scope
    method: str


def step(key: str, label: str, interaction: str) -> Step:
    found = BY_NAME[interaction]
    return Step(key, label, found.interaction_id, found.scope, found.method)


JOURNEY = (
    step("search", "search free slots", "search_free_slots"),
    step("book", "book appointment", "book_appointment"),
    step("read", "read appointment", "read_appointment"),
    step("cancel", "cancel appointment", "cancel_appointment"),
)

FHIR = {
    "ods_system": c.ODS_ORGANIZATION,
    "org_type_system": c.CS_ORGANISATION_TYPE,
    "sds_user_id_system": c.SDS_USER_ID,
    "sds_role_profile_system": c.SDS_ROLE_PROFILE_ID,
    "appointment_profile": c.PROFILE["Appointment"],
    "organization_profile": c.PROFILE["Organization"],
    "booking_organisation": c.EXT_BOOKING_ORGANISATION,
    "cancellation_reason": c.EXT_CANCELLATION_REASON,
    "media_type": "application/fhir+json",
}

# The requesting practitioner and device every token names (a load-test user with no smartcard).
PRACTITIONER = {"id": "1", "sds_user_id": "UNK", "role_profile_id": "UNK", "family": "Tester", "given": "Load"}
DEVICE = {"system": "https://gpsynth.example/Id/device", "value": "gpsynth-load-test", "model": "gpsynth", "version": "1"}
ISSUER = "https://gpsynth.example/load-test"
CANCELLATION_REASON = "Load test: cancelled after booking"
DESCRIPTION = "Load test booking"
