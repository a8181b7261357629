"""Foundations over HTTP: capability statement, patients, practitioners, organisations, locations, registration."""

import time

import httpx
import pytest
from gpc_requests import default_claims
from lxml import etree
from sandbox_process import FHIR_JSON, FHIR_XML, GpcClient, entries, outcome_code

from gpsynth.sandbox.fhirxml import resource_from_xml

NHS = "https://fhir.nhs.uk/Id/nhs-number"
SDS = "https://fhir.nhs.uk/Id/sds-user-id"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
REGISTER = "/Patient/$gpc.registerpatient"


def test_capability_statement_in_both_formats(gpc, server):
    response = gpc.call("get_capability_statement", "/metadata")
    assert response.status_code == 200 and response.headers["content-type"] == FHIR_JSON
    statement = response.json()
    assert statement["version"] == "1.2.7" and statement["fhirVersion"] == "3.0.1"
    assert set(statement["format"]) == {"application/fhir+json", "application/fhir+xml"}
    assert statement["software"]["name"] and statement["software"]["version"]
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {i["code"] for i in resources["Appointment"]["interaction"]} >= {"read", "create", "update", "search-type"}
    assert "Location:managingOrganization" in resources["Slot"]["searchInclude"]
    assert statement["rest"][0]["operation"][0]["name"] == "gpc.registerpatient"
    profiles = {p["reference"] for p in statement["profile"]}
    assert "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1" in profiles
    xml = gpc.call("get_capability_statement", "/metadata", params={"_format": "xml"})
    assert xml.headers["content-type"] == FHIR_XML
    assert resource_from_xml(xml.content)["version"] == "1.2.7"
    single = httpx.get(server.origin + "/STU3/1/gpconnect/metadata", headers=gpc.headers("get_capability_statement"))
    assert single.status_code == 200 and single.json()["implementation"]["url"].endswith("/A20047/STU3/1/gpconnect")


def test_unknown_practice_is_404(server, gpc):
    other = GpcClient(server.base("X99999"), gpc.http)
    response = other.call("get_capability_statement", "/metadata")
    assert response.status_code == 404 and outcome_code(response) == "NO_RECORD_FOUND"
    assert "A20047" in response.json()["issue"][0]["diagnostics"]


def test_find_patient(gpc):
    found = gpc.call("find_patient", "/Patient", params={"identifier": f"{NHS}|9658218865"})
    assert found.status_code == 200
    (patient,) = entries(found.json())
    assert patient["id"] == "1" and patient["meta"]["versionId"] == "1"
    assert patient["managingOrganization"]["reference"] == "Organization/A20047"
    for nhs_number in ("9658220142", "9658220290", "9658219748", "9999999999"):   # sensitive, deceased, inactive, unknown
        response = gpc.call("find_patient", "/Patient", params={"identifier": f"{NHS}|{nhs_number}"})
        assert response.status_code == 200 and "entry" not in response.json(), nhs_number


@pytest.mark.parametrize("params, status, code", [
    ({"identifier": f"{NHS}|9658218866"}, 400, "INVALID_NHS_NUMBER"),
    ({"identifier": f"{NHS}|96582188"}, 400, "INVALID_NHS_NUMBER"),
    ({"identifier": "https://fhir.nhs.uk/Id/other|9658218865"}, 400, "INVALID_IDENTIFIER_SYSTEM"),
    ({"identifier": f"{NHS}|"}, 422, "INVALID_PARAMETER"),
    ({"identifier": "|9658218865"}, 422, "INVALID_PARAMETER"),
    ({"Identifier": f"{NHS}|9658218865"}, 400, "BAD_REQUEST"),
    ({}, 400, "BAD_REQUEST"),
    ([("identifier", f"{NHS}|9658218865"), ("identifier", f"{NHS}|9658218873")], 400, "BAD_REQUEST"),
])
def test_find_patient_errors(gpc, params, status, code):
    response = gpc.call("find_patient", "/Patient", params=params)
    assert response.status_code == status and outcome_code(response) == code


def test_read_patient(gpc):
    response = gpc.call("read_patient", "/Patient/2")
    assert response.status_code == 200 and response.headers["etag"] == 'W/"1"'
    assert response.json()["identifier"][0]["value"] == "9658218873"
    missing = gpc.call("read_patient", "/Patient/4543567638475665845564986758479086840564796854665748763454")
    assert missing.status_code == 404 and outcome_code(missing) == "PATIENT_NOT_FOUND"
    wrong_scope = gpc.call("read_patient", "/Patient/2", claims=default_claims(int(time.time()), "patient/*.write"))
    assert wrong_scope.status_code == 400 and outcome_code(wrong_scope) == "BAD_REQUEST"


def test_practitioners(gpc):
    found = gpc.call("find_practitioner", "/Practitioner", params={"identifier": f"{SDS}|G22345655"})
    (person,) = entries(found.json())
    assert person["id"] == "2" and len(person["identifier"]) == 3
    none = gpc.call("find_practitioner", "/Practitioner", params={"identifier": f"{SDS}|G99999999"})
    assert none.status_code == 200 and "entry" not in none.json()
    bad = gpc.call("find_practitioner", "/Practitioner", params={"identifier": "G13579135"})
    assert bad.status_code == 422 and outcome_code(bad) == "INVALID_PARAMETER"
    read = gpc.call("read_practitioner", "/Practitioner/1")
    assert read.status_code == 200 and read.headers["etag"] == 'W/"1"' and read.json()["name"][0]["family"] == "Legg"
    missing = gpc.call("read_practitioner", "/Practitioner/99")
    assert missing.status_code == 404 and outcome_code(missing) == "PRACTITIONER_NOT_FOUND"


def test_organisations_and_locations(gpc):
    found = gpc.call("find_organisation", "/Organization", params={"identifier": f"{ODS_SYSTEM}|A20047"})
    (org,) = entries(found.json())
    assert org["id"] == "A20047" and org["name"] == "Dr Legg's Surgery"
    unknown = gpc.call("find_organisation", "/Organization", params={"identifier": f"{ODS_SYSTEM}|INVOC1"})
    assert unknown.status_code == 200 and "entry" not in unknown.json()
    read = gpc.call("read_organisation", "/Organization/A20047", params={"_format": "application/fhir+xml"})
    assert read.status_code == 200 and read.headers["etag"] == 'W/"1"'
    assert etree.fromstring(read.content).tag == "{http://hl7.org/fhir}Organization"
    assert outcome_code(gpc.call("read_organisation", "/Organization/INVOC1")) == "ORGANISATION_NOT_FOUND"
    for location_id, site in (("1", "Z26556"), ("8", "Z33432"), ("3", "Z33433")):
        location = gpc.call("read_location", f"/Location/{location_id}")
        assert location.status_code == 200 and location.json()["identifier"][0]["value"] == site
        assert location.json()["managingOrganization"]["reference"] == "Organization/A20047"
    missing = gpc.call("read_location", "/Location/INVSC1")
    assert missing.status_code == 404 and outcome_code(missing) == "NO_RECORD_FOUND"


def registration(nhs_number: str, family: str = "Registered", birth_date: str = "1980-02-03", **patient) -> dict:
    resource = {"resourceType": "Patient",
                "identifier": [{"system": NHS, "value": nhs_number}],
                "name": [{"use": "official", "family": family, "given": ["Rita"]}],
                "gender": "female", "birthDate": birth_date, **patient}
    return {"resourceType": "Parameters", "parameter": [{"name": "registerPatient", "resource": resource}]}


def test_register_a_new_patient_then_find_them(gpc):
    response = gpc.call("register_patient", REGISTER, json=registration("9990000018"))
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "searchset" and bundle["meta"]["profile"][0].endswith("GPConnect-Searchset-Bundle-1")
    (patient,) = entries(bundle)
    details = {e["url"]: e for e in patient["extension"][0]["extension"]}
    assert details["registrationType"]["valueCodeableConcept"]["coding"][0]["code"] == "T"
    assert patient["managingOrganization"]["reference"] == "Organization/A20047"
    found = gpc.call("find_patient", "/Patient", params={"identifier": f"{NHS}|9990000018"})
    assert entries(found.json())[0]["id"] == patient["id"]
    again = gpc.call("register_patient", REGISTER, json=registration("9990000018"))
    assert again.status_code == 409 and outcome_code(again) == "DUPLICATE_REJECTED"


def test_register_an_inactive_patient_again(gpc):
    read = gpc.call("read_patient", "/Patient/21").json()
    name = read["name"][0]
    body = registration("9658219748", family=name["family"], birth_date=read["birthDate"])
    body["parameter"][0]["resource"]["name"][0]["given"] = name["given"]
    response = gpc.call("register_patient", REGISTER, json=body)
    assert response.status_code == 200 and entries(response.json())[0]["id"] == "21"
    assert gpc.call("read_patient", "/Patient/21").headers["etag"] == 'W/"2"'
    found = gpc.call("find_patient", "/Patient", params={"identifier": f"{NHS}|9658219748"})
    assert entries(found.json())[0]["id"] == "21"


@pytest.mark.parametrize("body, status, code", [
    (registration("9658220290"), 400, "INVALID_PATIENT_DEMOGRAPHICS"),                # deceased
    (registration("9658220142"), 400, "INVALID_PATIENT_DEMOGRAPHICS"),                # sensitive
    (registration("9658218881", family="Nobody", birth_date="1901-01-01"), 400, "INVALID_PATIENT_DEMOGRAPHICS"),
    (registration("9658218882"), 400, "INVALID_NHS_NUMBER"),
    (registration("9990000026", birthDate=None), 400, "BAD_REQUEST"),
    (registration("9990000026", maritalStatus={"text": "Single"}), 422, "INVALID_RESOURCE"),
    (registration("9990000026", address=[{"use": "home", "city": "Leeds"}, {"use": "home", "city": "York"}]),
     422, "INVALID_RESOURCE"),
    ({"resourceType": "Parameters", "parameter": [registration("9990000026")["parameter"][0]] * 2}, 400, "BAD_REQUEST"),
    ({"resourceType": "Patient"}, 422, "INVALID_RESOURCE"),
    # CareConnect-GPC-Patient-1: every identifier names its system
    (registration("9990000026", identifier=[{"system": NHS, "value": "9990000026"}, {"value": "local-42"}]),
     422, "INVALID_RESOURCE"),
])
def test_register_refusals(gpc, body, status, code):
    patient = body.get("parameter", [{}])[0].get("resource", {})
    for name in [k for k, v in patient.items() if v is None]:
        del patient[name]
    response = gpc.call("register_patient", REGISTER, json=body)
    assert (response.status_code, outcome_code(response)) == (status, code)
