"""Get the capability statement: the CapabilityStatement of a GP Connect 1.2.7 Foundations + Appointment Management provider."""

from __future__ import annotations

from ... import __version__
from ...fhir.constants import PROFILE
from ..context import GpcRequest, GpcResponse
from ..provider import Provider

GP_CONNECT_VERSION = "1.2.7"
REGISTER_PATIENT = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-RegisterPatient-Operation-1"
PROFILES = (*(PROFILE[t] for t in ("Patient", "Organization", "Practitioner", "Location", "Appointment", "Schedule",
                                   "Slot", "OperationOutcome", "Bundle")),
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-PractitionerRole-1")


def _identifier_search(documentation: str) -> list[dict]:
    return [{"name": "identifier", "type": "token", "documentation": documentation}]


def _resource(resource_type: str, interactions: tuple[str, ...], **more) -> dict:
    return {"type": resource_type, "profile": {"reference": PROFILE[resource_type]},
            "interaction": [{"code": code} for code in interactions], **more}


def capability_statement(service_root: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "version": GP_CONNECT_VERSION,
        "name": "GP Connect",
        "status": "active",
        "date": "2020-05-05",
        "publisher": "gpsynth",
        "description": f"gpsynth sandbox provider of GP Connect {GP_CONNECT_VERSION} Foundations and Appointment "
                       "Management, serving synthetic data",
        "kind": "instance",
        "software": {"name": "gpsynth", "version": __version__},
        "implementation": {"description": "gpsynth sandbox provider", "url": service_root},
        "fhirVersion": "3.0.1",
        "acceptUnknown": "both",
        "format": ["application/fhir+json", "application/fhir+xml"],
        "profile": [{"reference": url} for url in PROFILES],
        "rest": [{
            "mode": "server",
            "resource": [
                _resource("Patient", ("read", "search-type"),
                          searchParam=_identifier_search("NHS number: https://fhir.nhs.uk/Id/nhs-number|<NHS number>")),
                _resource("Organization", ("read", "search-type"), searchParam=_identifier_search(
                    "ODS code: https://fhir.nhs.uk/Id/ods-organization-code|<ODS code>")),
                _resource("Practitioner", ("read", "search-type"),
                          searchParam=_identifier_search("SDS user id: https://fhir.nhs.uk/Id/sds-user-id|<user id>")),
                _resource("Location", ("read",)),
                _resource("Appointment", ("read", "create", "update", "search-type"), updateCreate=False,
                          searchParam=[{"name": "start", "type": "date",
                                        "documentation": "Patient/<id>/Appointment?start=ge<date>&start=le<date>"}]),
                _resource("Slot", ("search-type",),
                          searchInclude=["Slot:schedule", "Schedule:actor:Practitioner", "Schedule:actor:Location",
                                         "Location:managingOrganization"],
                          searchParam=[{"name": "start", "type": "date"}, {"name": "end", "type": "date"},
                                       {"name": "status", "type": "token"}, {"name": "searchFilter", "type": "token"}]),
            ],
            "operation": [{"name": "gpc.registerpatient", "definition": {"reference": REGISTER_PATIENT}}],
        }],
    }


async def get_capability_statement(request: GpcRequest, provider: Provider) -> GpcResponse:
    provider.practice(request)
    return GpcResponse(capability_statement(request.service_root))
