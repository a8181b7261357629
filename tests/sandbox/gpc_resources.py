"""GP Connect 1.2.7 resources shaped like the spec examples, for round-trip and HTTP tests."""

from __future__ import annotations

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
CS = "https://fhir.nhs.uk/STU3/CodeSystem/"


def organization() -> dict:
    return {
        "resourceType": "Organization",
        "id": "7",
        "meta": {"versionId": "1469444400000", "profile": [SD + "CareConnect-GPC-Organization-1"]},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A20047"}],
        "name": "Dr Legg's Surgery",
        "telecom": [{"system": "phone", "value": "0300 303 5678", "use": "work"}],
        "address": [{"line": ["Crossway Medical Centre", "1 Crossway"], "city": "Leeds", "postalCode": "LS1 1AA"}],
    }


def location() -> dict:
    return {
        "resourceType": "Location",
        "id": "16",
        "meta": {"versionId": "1", "profile": [SD + "CareConnect-GPC-Location-1"]},
        "name": "Dr Legg's Main Surgery",
        "address": {"line": ["1 Crossway"], "city": "Leeds", "postalCode": "LS1 1AA"},
        "managingOrganization": {"reference": "Organization/7"},
        "position": {"longitude": -1.5491, "latitude": 53.8008},
    }


def practitioner() -> dict:
    return {
        "resourceType": "Practitioner",
        "id": "1",
        "meta": {"versionId": "2", "profile": [SD + "CareConnect-GPC-Practitioner-1"]},
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"},
            {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "PT1234"},
        ],
        "name": [{"use": "usual", "family": "Gilbert", "given": ["Nichole"], "prefix": ["Dr"]}],
        "gender": "female",
    }


def practitioner_role_extension(code: str = "R0260", display: str = "General Medical Practitioner") -> dict:
    return {
        "url": SD + "Extension-GPConnect-PractitionerRole-1",
        "valueCodeableConcept": {
            "coding": [{"system": CS + "CareConnect-SDSJobRoleName-1", "code": code, "display": display}]
        },
    }


def delivery_channel_extension(channel: str = "In-person") -> dict:
    return {"url": SD + "Extension-GPConnect-DeliveryChannel-2", "valueCode": channel}


def schedule() -> dict:
    return {
        "resourceType": "Schedule",
        "id": "1",
        "meta": {"versionId": "1", "profile": [SD + "GPConnect-Schedule-1"]},
        "extension": [practitioner_role_extension()],
        "serviceCategory": {"text": "GP Surgery"},
        "actor": [{"reference": "Location/16"}, {"reference": "Practitioner/1"}],
        "planningHorizon": {"start": "2026-11-26T09:00:00+00:00", "end": "2026-11-26T17:00:00+00:00"},
    }


def slot(slot_id: str = "101", start: str = "2026-11-26T09:40:00+00:00", end: str = "2026-11-26T09:50:00+00:00") -> dict:
    return {
        "resourceType": "Slot",
        "id": slot_id,
        "meta": {"versionId": "1", "profile": [SD + "GPConnect-Slot-1"]},
        "extension": [delivery_channel_extension()],
        "serviceType": [{"text": "General medical practice"}],
        "schedule": {"reference": "Schedule/1"},
        "status": "free",
        "start": start,
        "end": end,
    }


def patient() -> dict:
    return {
        "resourceType": "Patient",
        "id": "2",
        "meta": {"versionId": "1521806400000", "profile": [SD + "CareConnect-GPC-Patient-1"]},
        "extension": [
            {
                "url": SD + "Extension-CareConnect-GPC-RegistrationDetails-1",
                "extension": [
                    {"url": "registrationPeriod", "valuePeriod": {"start": "1962-07-13T00:00:00+01:00"}},
                    {
                        "url": "registrationType",
                        "valueCodeableConcept": {
                            "coding": [{"system": CS + "CareConnect-RegistrationType-1", "code": "R", "display": "Regular"}]
                        },
                    },
                    {"url": "preferredBranchSurgery", "valueReference": {"reference": "Location/16"}},
                ],
            },
            {
                "url": SD + "Extension-CareConnect-GPC-NHSCommunication-1",
                "extension": [
                    {
                        "url": "language",
                        "valueCodeableConcept": {
                            "coding": [{"system": CS + "CareConnect-HumanLanguage-1", "code": "en", "display": "English"}]
                        },
                    },
                    {"url": "interpreterRequired", "valueBoolean": False},
                ],
            },
        ],
        "identifier": [
            {
                "extension": [
                    {
                        "url": SD + "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": CS + "CareConnect-NHSNumberVerificationStatus-1",
                                    "code": "01",
                                    "display": "Number present and verified",
                                }
                            ]
                        },
                    }
                ],
                "system": "https://fhir.nhs.uk/Id/nhs-number",
                "value": "9658218873",
            }
        ],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": "Mr Jack Harrison",
                "family": "Harrison",
                "given": ["Jack", "Thomas"],
                "_given": [None, {"extension": [{"url": "http://example.org/fhir/initial", "valueBoolean": True}]}],
                "prefix": ["Mr"],
            }
        ],
        "telecom": [{"system": "phone", "value": "01454587554", "use": "home"}],
        "gender": "male",
        "birthDate": "1942-02-03",
        "managingOrganization": {"reference": "Organization/7"},
    }


def appointment() -> dict:
    """A booked appointment with the booking organisation contained, as A4/A5 return it."""
    return {
        "resourceType": "Appointment",
        "id": "148",
        "meta": {"versionId": "1532013244073", "profile": [SD + "GPConnect-Appointment-1"]},
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Booked <b>09:40</b></p></div>'},
        "contained": [
            {
                "resourceType": "Organization",
                "id": "1",
                "meta": {"profile": [SD + "CareConnect-GPC-Organization-1"]},
                "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A1001"}],
                "type": [{"coding": [{"system": CS + "GPConnect-OrganisationType-1", "code": "urgent-care"}]}],
                "name": "Test Organization Name",
                "telecom": [{"system": "phone", "value": "0300 303 5678"}],
            }
        ],
        "extension": [
            {"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}},
            practitioner_role_extension(),
            delivery_channel_extension(),
        ],
        "identifier": [{"system": "https://fhir.nhs.uk/Id/gpconnect-appointment-identifier", "value": "148"}],
        "status": "booked",
        "serviceCategory": {"text": "GP Surgery"},
        "serviceType": [{"text": "General medical practice"}],
        "description": "Free text description.",
        "start": "2026-11-26T09:40:00+00:00",
        "end": "2026-11-26T10:00:00+00:00",
        "minutesDuration": 20,
        "slot": [{"reference": "Slot/101"}, {"reference": "Slot/102"}],
        "created": "2026-11-25T13:48:41+00:00",
        "comment": "Free text comment.",
        "participant": [
            {"actor": {"reference": "Patient/2"}, "status": "accepted"},
            {"actor": {"reference": "Location/16"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/1"}, "status": "accepted"},
        ],
    }


def cancelled_appointment() -> dict:
    resource = appointment()
    resource["status"] = "cancelled"
    resource["extension"].insert(
        0, {"url": SD + "Extension-GPConnect-AppointmentCancellationReason-1", "valueString": "Double booked."}
    )
    return resource


def searchset_bundle() -> dict:
    """A free-slot search result: slots with their schedule, practitioner, location and organisation."""
    resources = [
        slot("101"),
        slot("102", "2026-11-26T09:50:00+00:00", "2026-11-26T10:00:00+00:00"),
        schedule(),
        practitioner(),
        location(),
        organization(),
    ]
    return {
        "resourceType": "Bundle",
        "id": "c1e3b4a2-1b7e-4b53-9c4c-2f0a7d5b1e11",
        "meta": {"lastUpdated": "2026-11-25T14:00:00+00:00", "profile": [SD + "GPConnect-Searchset-Bundle-1"]},
        "type": "searchset",
        "entry": [{"resource": resource} for resource in resources] + [{"resource": patient()}, {"resource": appointment()}],
    }


def register_patient_parameters() -> dict:
    """The Parameters body of a Register a patient request."""
    registering = patient()
    del registering["id"], registering["meta"]["versionId"]
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "registerPatient", "resource": registering}],
    }


def capability_statement() -> dict:
    operation = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-RegisterPatient-Operation-1"

    def resource(type_: str, *interactions: str, **extra) -> dict:
        return {"type": type_, "interaction": [{"code": code} for code in interactions], **extra}

    return {
        "resourceType": "CapabilityStatement",
        "version": "1.2.7",
        "name": "GP Connect",
        "status": "active",
        "date": "2020-05-05",
        "publisher": "gpsynth",
        "kind": "capability",
        "software": {"name": "gpsynth", "version": "0.1.0"},
        "fhirVersion": "3.0.1",
        "acceptUnknown": "both",
        "format": ["application/fhir+json", "application/fhir+xml"],
        "profile": [{"reference": SD + name} for name in ("GPConnect-Appointment-1", "GPConnect-Slot-1")],
        "rest": [
            {
                "mode": "server",
                "security": {"cors": True},
                "resource": [
                    resource("Patient", "read", "search-type", searchParam=[{"name": "identifier", "type": "token"}]),
                    resource("Organization", "read", "search-type"),
                    resource("Practitioner", "read", "search-type"),
                    resource("Location", "read"),
                    resource("Slot", "search-type", searchInclude=["Slot:schedule", "Location:managingOrganization"]),
                    resource("Appointment", "read", "create", "update", "search-type"),
                ],
                "operation": [{"name": "gpc.registerpatient", "definition": {"reference": operation}}],
            }
        ],
    }
