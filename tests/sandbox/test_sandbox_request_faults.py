"""Every SSP header and JWT fault is 400 BAD_REQUEST from the real server, on reads and on writes alike."""

import time

import pytest
from gpc_requests import bearer, default_claims
from sandbox_process import outcome_code


def claims(**changes) -> dict:
    token = default_claims(int(time.time()), "organization/*.read")
    for name, value in changes.items():
        if value is None:
            del token[name]
        else:
            token[name] = value
    return token


HEADER_FAULTS = {
    "no Ssp-TraceID": {"Ssp-TraceID": None},
    "blank Ssp-From": {"Ssp-From": ""},
    "no Ssp-To": {"Ssp-To": None},
    "Ssp-To another provider": {"Ssp-To": "200000000359"},
    "no Ssp-InteractionID": {"Ssp-InteractionID": None},
    "interaction of another resource": {"Ssp-InteractionID": "urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1"},
    "interaction with a trailing space": {"Ssp-InteractionID": "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1 x"},
    "no Authorization": {"Authorization": None},
    "not a bearer token": {"Authorization": "Basic dXNlcjpwYXNz"},
    "token not base64": {"Authorization": "Bearer ###.###."},
    "signed token": {"Authorization": bearer(claims(), {"alg": "HS256", "typ": "JWT"})[:-1] + "c2lnbmF0dXJl"},
    "alg other than none": {"Authorization": bearer(claims(), {"alg": "HS256", "typ": "JWT"})},
}
CLAIM_FAULTS = {
    f"no {name}": {name: None} for name in ("iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope",
                                              "requesting_device", "requesting_organization", "requesting_practitioner")
} | {
    "exp 299 s after iat": {"exp": int(time.time()) - 2 + 299},
    "exp 301 s after iat": {"exp": int(time.time()) - 2 + 301},
    "expired": {"iat": int(time.time()) - 600, "exp": int(time.time()) - 300},
    "scope of another interaction": {"requested_scope": "patient/*.read"},
    "unknown scope": {"requested_scope": "badScope"},
    "reason other than direct care": {"reason_for_request": "secondaryuses"},
    "DSTU2 requested_record": {"requested_record": {"resourceType": "Patient"}},
    "sub not the practitioner": {"sub": "2"},
}


@pytest.mark.parametrize("fault", HEADER_FAULTS, ids=list(HEADER_FAULTS))
def test_header_faults(gpc, fault):
    headers = gpc.headers("get_capability_statement")
    for name, value in HEADER_FAULTS[fault].items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    response = gpc.http.get(gpc.base + "/metadata", headers=headers)
    assert (response.status_code, outcome_code(response)) == (400, "BAD_REQUEST"), response.text


@pytest.mark.parametrize("fault", CLAIM_FAULTS, ids=list(CLAIM_FAULTS))
def test_jwt_faults(gpc, fault):
    response = gpc.call("get_capability_statement", "/metadata", claims=claims(**CLAIM_FAULTS[fault]))
    assert (response.status_code, outcome_code(response)) == (400, "BAD_REQUEST"), response.text


def test_tolerated_tokens(gpc):
    now = int(time.time())
    assert gpc.call("get_capability_statement", "/metadata", claims=claims(iat=now + 200, exp=now + 500)).status_code == 200
    unk = claims()
    unk["requesting_practitioner"]["identifier"] = [
        {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK"},
        {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK"}]
    assert gpc.call("get_capability_statement", "/metadata", claims=unk).status_code == 200


def test_a_bad_resource_in_the_token_is_422(gpc):
    token = claims()
    token["requesting_device"]["invalidField"] = "Assurance Testing"
    response = gpc.call("get_capability_statement", "/metadata", claims=token)
    assert (response.status_code, outcome_code(response)) == (422, "INVALID_RESOURCE")


def test_a_booking_with_a_read_token_is_refused_before_anything_is_stored(gpc):
    response = gpc.call("book_appointment", "/Appointment", json={"resourceType": "Appointment"},
                        claims=default_claims(int(time.time()), "patient/*.read"))
    assert (response.status_code, outcome_code(response)) == (400, "BAD_REQUEST")
    assert "patient/*.write" in response.json()["issue"][0]["diagnostics"]
    unsupported = gpc.call("book_appointment", "/Appointment", content=b"<Appointment/>",
                           headers={"Content-Type": "text/plain"})
    assert unsupported.status_code == 415


def test_the_administration_endpoint_is_off_by_default(gpc):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
    response = gpc.http.post(gpc.base, json=bundle, headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 400 and outcome_code(response) == "BAD_REQUEST"
    assert gpc.http.get(gpc.base + "/Slot", params={"_summary": "count"}).status_code == 400
