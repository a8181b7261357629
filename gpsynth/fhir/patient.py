"""CareConnect-GPC-Patient-1: a registered patient with NHS number and registration details."""

from __future__ import annotations

from ..records import Patient
from . import constants as c
from .common import address, coding, english_communication, meta, phone, reference

SENSITIVE = [{"system": c.CONFIDENTIALITY, "code": "R", "display": "restricted"}]


def registration_details(patient: Patient) -> dict:
    period = {"start": patient.registration_start}
    if patient.registration_end:
        period["end"] = patient.registration_end
    registration_type = coding(c.CS_REGISTRATION_TYPE, patient.registration_type, c.REGISTRATION_TYPES[patient.registration_type])
    return {"url": c.EXT_REGISTRATION_DETAILS, "extension": [
        {"url": "registrationPeriod", "valuePeriod": period},
        {"url": "registrationType", "valueCodeableConcept": {"coding": [registration_type]}},
        {"url": "preferredBranchSurgery", "valueReference": reference("Location", patient.preferred_location_id)},
    ]}


def render(patient: Patient, last_updated: str) -> dict:
    resource_meta = meta("Patient", last_updated)
    if patient.state == "sensitive":
        resource_meta = {**resource_meta, "security": SENSITIVE}
    verification = coding(c.CS_NHS_NUMBER_VERIFICATION, patient.verification_status,
                          c.NHS_NUMBER_VERIFICATION[patient.verification_status])
    name = {"use": "official", "family": patient.family, "given": [patient.given]}
    if patient.prefix:
        name["prefix"] = [patient.prefix]
    resource = {
        "resourceType": "Patient",
        "id": patient.id,
        "meta": resource_meta,
        "extension": [registration_details(patient), english_communication()],
        "identifier": [{
            "extension": [{"url": c.EXT_NHS_NUMBER_VERIFICATION, "valueCodeableConcept": {"coding": [verification]}}],
            "system": c.NHS_NUMBER,
            "value": patient.nhs_number,
        }],
        "active": patient.state != "inactive",
        "name": [name],
    }
    if patient.phone:
        resource["telecom"] = [phone(patient.phone, patient.phone_use)]
    resource["gender"] = patient.gender
    resource["birthDate"] = patient.birth_date
    if patient.deceased_at:
        resource["deceasedDateTime"] = patient.deceased_at
    if patient.address:
        resource["address"] = [address(patient.address, "home")]
    if patient.general_practitioner_id:
        resource["generalPractitioner"] = [reference("Practitioner", patient.general_practitioner_id)]
    resource["managingOrganization"] = reference("Organization", patient.organization_id)
    return resource
