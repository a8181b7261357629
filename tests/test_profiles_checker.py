"""The profile checker itself, on hand-written GP Connect 1.2.7 resources built from the spec and the SDs."""

import importlib.util
import sys
from pathlib import Path

import pytest

from profiles import checker, requires_shared

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
CS = "https://fhir.nhs.uk/STU3/CodeSystem/"
VS = "https://fhir.nhs.uk/STU3/ValueSet/"


def meta(profile: str) -> dict:
    return {"versionId": "1", "profile": [SD + profile]}


def delivery_channel(code: str = "In-person") -> dict:
    return {"url": SD + "Extension-GPConnect-DeliveryChannel-2", "valueCode": code}


def practitioner_role(system: str = CS + "CareConnect-SDSJobRoleName-1") -> dict:
    coding = {"system": system, "code": "R0260", "display": "General Medical Practitioner"}
    return {"url": SD + "Extension-GPConnect-PractitionerRole-1", "valueCodeableConcept": {"coding": [coding]}}


def slot() -> dict:
    return {
        "resourceType": "Slot",
        "id": "1584",
        "meta": meta("GPConnect-Slot-1"),
        "extension": [delivery_channel()],
        "serviceType": [{"text": "GP Appointment"}],
        "schedule": {"reference": "Schedule/14"},
        "status": "free",
        "start": "2019-03-29T11:30:00+00:00",
        "end": "2019-03-29T11:40:00+00:00",
    }


def schedule() -> dict:
    return {
        "resourceType": "Schedule",
        "id": "14",
        "meta": meta("GPConnect-Schedule-1"),
        "extension": [practitioner_role()],
        "identifier": [{"system": "https://fhir.nhs.uk/Id/gpconnect-schedule-identifier", "value": "14"}],
        "serviceCategory": {"text": "General GP Appointments"},
        "actor": [{"reference": "Location/17"}, {"reference": "Practitioner/1"}],
        "planningHorizon": {"start": "2019-03-29T09:00:00+00:00", "end": "2019-03-29T12:00:00+00:00"},
    }


def organization() -> dict:
    return {
        "resourceType": "Organization",
        "id": "23",
        "meta": meta("CareConnect-GPC-Organization-1"),
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A00001"}],
        "type": [{"coding": [{"system": CS + "GPConnect-OrganisationType-1", "code": "gp-practice"}]}],
        "name": "The Trevelyan Practice",
        "telecom": [{"system": "phone", "value": "03003035678", "use": "work"}],
        "address": [{"line": ["Trevelyan Square", "Boar Ln"], "city": "Leeds", "postalCode": "LS1 6AE"}],
    }


def appointment() -> dict:
    booking_org = {
        "resourceType": "Organization",
        "id": "1",
        "meta": {"profile": [SD + "CareConnect-GPC-Organization-1"]},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Z100"}],
        "type": [{"coding": [{"system": CS + "GPConnect-OrganisationType-1", "code": "urgent-care"}]}],
        "name": "North Ambulance Service",
        "telecom": [{"system": "phone", "value": "01111222333"}],
    }
    return {
        "resourceType": "Appointment",
        "id": "9",
        "meta": meta("GPConnect-Appointment-1"),
        "contained": [booking_org],
        "extension": [
            {"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}},
            practitioner_role(),
            delivery_channel(),
        ],
        "identifier": [{"system": "https://fhir.nhs.uk/Id/gpconnect-appointment-identifier", "value": "9"}],
        "status": "booked",
        "serviceCategory": {"text": "General GP Appointments"},
        "serviceType": [{"text": "General GP Appointment"}],
        "description": "Free text description.",
        "start": "2019-03-29T11:30:00+00:00",
        "end": "2019-03-29T11:40:00+00:00",
        "slot": [{"reference": "Slot/1584"}],
        "created": "2019-03-25T13:48:41+00:00",
        "comment": "Free text comment.",
        "participant": [
            {"actor": {"reference": "Patient/2"}, "status": "accepted"},
            {"actor": {"reference": "Location/17"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/1"}, "status": "accepted"},
        ],
    }


def cancelled_appointment() -> dict:
    resource = appointment()
    resource["status"] = "cancelled"
    resource["extension"].append(
        {"url": SD + "Extension-GPConnect-AppointmentCancellationReason-1", "valueString": "Patient unwell"}
    )
    return resource


def verification_status(code: str = "01") -> dict:
    coding = {"system": CS + "CareConnect-NHSNumberVerificationStatus-1", "code": code}
    return {
        "url": SD + "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
        "valueCodeableConcept": {"coding": [coding]},
    }


def patient() -> dict:
    regular = {"system": CS + "CareConnect-RegistrationType-1", "code": "R", "display": "Regular"}
    return {
        "resourceType": "Patient",
        "id": "2",
        "meta": meta("CareConnect-GPC-Patient-1"),
        "extension": [
            {
                "url": SD + "Extension-CareConnect-GPC-RegistrationDetails-1",
                "extension": [
                    {"url": "registrationPeriod", "valuePeriod": {"start": "2015-04-01"}},
                    {"url": "registrationType", "valueCodeableConcept": {"coding": [regular]}},
                    {"url": "preferredBranchSurgery", "valueReference": {"reference": "Location/17"}},
                ],
            }
        ],
        "identifier": [
            {"extension": [verification_status()], "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9476719931"}
        ],
        "active": True,
        "name": [{"use": "official", "family": "Jackson", "given": ["Jane"], "prefix": ["Miss"]}],
        "telecom": [{"system": "phone", "value": "01454587554", "use": "home"}],
        "gender": "female",
        "birthDate": "1952-05-31",
        "address": [{"use": "home", "type": "physical", "line": ["Trevelyan Square"], "postalCode": "LS1 6AE"}],
        "generalPractitioner": [{"reference": "Practitioner/1"}],
        "managingOrganization": {"reference": "Organization/23"},
    }


def practitioner() -> dict:
    return {
        "resourceType": "Practitioner",
        "id": "1",
        "meta": meta("CareConnect-GPC-Practitioner-1"),
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"},
            {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "PT1234"},
        ],
        "name": [{"use": "usual", "family": "Gilbert", "given": ["Nichole"], "prefix": ["Dr"]}],
        "gender": "female",
    }


def location() -> dict:
    return {
        "resourceType": "Location",
        "id": "17",
        "meta": meta("CareConnect-GPC-Location-1"),
        "name": "Trevelyan Surgery",
        "telecom": [{"system": "phone", "value": "03003035678", "use": "work"}],
        "address": {"line": ["Trevelyan Square", "Boar Ln"], "city": "Leeds", "postalCode": "LS1 6AE"},
        "managingOrganization": {"reference": "Organization/23"},
    }


def searchset() -> dict:
    entries = [slot(), schedule(), location(), practitioner(), organization()]
    return {
        "resourceType": "Bundle",
        "meta": meta("GPConnect-Searchset-Bundle-1"),
        "type": "searchset",
        "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in entries],
    }


VALID = [slot, schedule, appointment, cancelled_appointment, patient, practitioner, organization, location, searchset]


@requires_shared
@pytest.mark.parametrize("build", VALID, ids=lambda build: build.__name__)
def test_valid_resources_have_no_problems(build):
    assert checker().check(build()) == []


def mutated(build, change):
    resource = build()
    change(resource)
    return resource


def second_official_name(patient: dict) -> None:
    patient["name"].append({"use": "official", "family": "Smith"})


def cancellation_reason_as_code(appointment: dict) -> None:
    reason = appointment["extension"][3]
    reason["valueCode"] = reason.pop("valueString")


def registration_status(patient: dict) -> None:
    status = {"coding": [{"system": CS + "CareConnect-RegistrationStatus-1", "code": "A"}]}
    patient["extension"][0]["extension"].append({"url": "registrationStatus", "valueCodeableConcept": status})


def case(resource: dict, *problems: str) -> tuple[dict, list[str]]:
    return resource, list(problems)


MUTATIONS = {
    "slot without schedule": case(
        mutated(slot, lambda r: r.pop("schedule")),
        "Slot.schedule: at least 1 required, found 0",
    ),
    "slot schedule without reference": case(
        mutated(slot, lambda r: r.update(schedule={"display": "GP clinic"})),
        "Slot.schedule.reference: at least 1 required, found 0",
    ),
    "slot schedule pointing at a Location": case(
        mutated(slot, lambda r: r.update(schedule={"reference": "Location/17"})),
        "Slot.schedule: Location/17 must refer to Schedule",
    ),
    "slot serviceCategory": case(
        mutated(slot, lambda r: r.update(serviceCategory={"text": "GP"})),
        "Slot.serviceCategory: not allowed (max 0), found 1",
    ),
    "delivery channel Phone": case(
        mutated(slot, lambda r: r.update(extension=[delivery_channel("Phone")])),
        f"Slot.extension[0].valueCode: 'Phone' is not in ValueSet {VS}GPConnect-DeliveryChannel-1 (extensible binding)",
    ),
    "legacy delivery channel extension": case(
        mutated(slot, lambda r: r["extension"][0].update(url=SD + "Extension-GPConnect-DeliveryChannel-1")),
        f"Slot.extension[0]: extension '{SD}Extension-GPConnect-DeliveryChannel-1' "
        "is not one of the profile's slices deliveryChannel",
    ),
    "schedule active": case(
        mutated(schedule, lambda r: r.update(active=True)),
        "Schedule.active: not allowed (max 0), found 1",
    ),
    "schedule without actor": case(
        mutated(schedule, lambda r: r.pop("actor")),
        "Schedule.actor: at least 1 required, found 0",
    ),
    "practitioner role coded with the ValueSet URL": case(
        mutated(schedule, lambda r: r.update(extension=[practitioner_role(VS + "GPConnect-PractitionerRole-1")])),
        f"Schedule.extension[0].valueCodeableConcept: coding system {VS}GPConnect-PractitionerRole-1 "
        "is a ValueSet URL, not a CodeSystem",
    ),
    "appointment incomingReferral": case(
        mutated(appointment, lambda r: r.update(incomingReferral=[{"reference": "ReferralRequest/1"}])),
        "Appointment.incomingReferral: not allowed (max 0), found 1",
    ),
    "appointment reason coded outside SNOMED CT": case(
        mutated(appointment, lambda r: r.update(reason=[{"coding": [
            {"system": "http://read.info/readv2", "code": "1B1..", "display": "Headache"}]}])),
        "Appointment.reason[0].coding[0].system: must be 'http://snomed.info/sct', found 'http://read.info/readv2'",
    ),
    "appointment without description": case(
        mutated(appointment, lambda r: r.pop("description")),
        "Appointment.description: at least 1 required, found 0",
    ),
    "participant without actor": case(
        mutated(appointment, lambda r: r["participant"][0].pop("actor")),
        "Appointment.participant[0].actor: at least 1 required, found 0",
    ),
    "appointment identifier without system": case(
        mutated(appointment, lambda r: r["identifier"][0].pop("system")),
        "Appointment.identifier[0].system: at least 1 required, found 0",
    ),
    "booking organisation not contained": case(
        mutated(appointment, lambda r: r["extension"][0].update(valueReference={"reference": "#2"})),
        "Appointment.extension[0].valueReference: #2 does not name a contained resource",
    ),
    "contained organisation without name": case(
        mutated(appointment, lambda r: r["contained"][0].pop("name")),
        "Appointment.contained[0].name: at least 1 required, found 0",
    ),
    "cancellation reason as a code": case(
        mutated(cancelled_appointment, cancellation_reason_as_code),
        "Appointment.extension[3].valueString: at least 1 required, found 0",
        "Appointment.extension[3].valueCode: is not an element of the profile",
    ),
    "wrong nhsNumber system": case(
        mutated(patient, lambda r: r["identifier"][0].update(system="https://fhir.nhs.uk/Id/nhsnumber")),
        "Patient.identifier[0]: identifier system 'https://fhir.nhs.uk/Id/nhsnumber' is not one of the profile's "
        "['https://fhir.nhs.uk/Id/nhs-number']",
    ),
    "nhsNumber without verification status": case(
        mutated(patient, lambda r: r["identifier"][0].pop("extension")),
        "Patient.identifier[0].extension:nhsNumberVerificationStatus: at least 1 required, found 0",
    ),
    "second official name": case(
        mutated(patient, second_official_name),
        "Patient.name:official: at most 1 allowed, found 2",
    ),
    "verification status 99": case(
        mutated(patient, lambda r: r["identifier"][0].update(extension=[verification_status("99")])),
        "Patient.identifier[0].extension[0].valueCodeableConcept: "
        f"'99' is not a code of CodeSystem {CS}CareConnect-NHSNumberVerificationStatus-1",
        "Patient.identifier[0].extension[0].valueCodeableConcept: needs a coding from ValueSet "
        f"{VS}CareConnect-NHSNumberVerificationStatus-1 (required binding)",
    ),
    "registrationStatus in RegistrationDetails": case(
        mutated(patient, registration_status),
        "Patient.extension[0].extension:registrationStatus: not allowed (max 0), found 1",
    ),
    "gender M": case(
        mutated(patient, lambda r: r.update(gender="M")),
        f"Patient.gender: 'M' is not in ValueSet {VS}CareConnect-AdministrativeGender-1 (required binding)",
    ),
    "deceasedBoolean": case(
        mutated(patient, lambda r: r.update(deceasedBoolean=False)),
        "Patient.deceasedBoolean: is not an element of the profile",
    ),
    "practitioner name as an object": case(
        mutated(practitioner, lambda r: r.update(name=r["name"][0])),
        "Practitioner.name: must be a JSON array",
    ),
    "location telecom as an object": case(
        mutated(location, lambda r: r.update(telecom=r["telecom"][0])),
        "Location.telecom: must be a JSON array",
    ),
    "location mode": case(
        mutated(location, lambda r: r.update(mode="instance")),
        "Location.mode: not allowed (max 0), found 1",
    ),
    "location physical type outside the closed slices": case(
        mutated(location, lambda r: r.update(physicalType={"coding": [{"system": "http://example.org", "code": "b"}]})),
        "Location.physicalType.coding[0]: matches none of the closed slices snomedCT, readV2, readCTV3",
    ),
    "searchset with a link": case(
        mutated(searchset, lambda r: r.update(link=[{"relation": "self", "url": "https://example.org/Slot"}])),
        "Bundle.link: not allowed (max 0), found 1",
    ),
    "slot without schedule inside a searchset": case(
        mutated(searchset, lambda r: r["entry"][0]["resource"].pop("schedule")),
        "Bundle.entry[0].resource.schedule: at least 1 required, found 0",
    ),
    "no meta.profile": case(
        mutated(organization, lambda r: r.pop("meta")),
        "Organization: meta.profile[0] None is not a GP Connect resource profile",
    ),
}


@requires_shared
@pytest.mark.parametrize("resource, problems", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_mutation_gives_its_problems(resource, problems):
    assert checker().check(resource) == problems


@requires_shared
def test_value_set_codes_come_from_the_local_code_systems():
    assert checker().value_set_codes(VS + "GPConnect-DeliveryChannel-1") == {
        (CS + "GPConnect-DeliveryChannel-1", code) for code in ("In-person", "Telephone", "Video")
    }
    assert checker().value_set_codes(VS + "DeviceType-1") is None


def load_profiles_module(monkeypatch, shared: Path, ci: str):
    monkeypatch.setenv("GPSYNTH_SHARED", str(shared))
    monkeypatch.setenv("CI", ci)
    spec = importlib.util.spec_from_file_location("profiles_copy", Path(__file__).with_name("profiles.py"))
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_missing_definitions_skip_outside_ci(monkeypatch, tmp_path):
    module = load_profiles_module(monkeypatch, tmp_path, "false")
    marker = module.requires_shared.mark
    assert marker.args == (True,)
    assert "../shared/gpconnect-fhir-1.2.7 is absent" in marker.kwargs["reason"]


def test_missing_definitions_fail_in_ci(monkeypatch, tmp_path):
    with pytest.raises(RuntimeError, match="gpconnect-fhir-1.2.7 is absent"):
        load_profiles_module(monkeypatch, tmp_path, "true")
