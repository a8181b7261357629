"""The GP Connect JWT rules, case by case as the provider assurance suite (JWT.feature) exercises them."""

import base64
import json

import pytest
from gpc_requests import bearer, default_claims

from gpsynth.sandbox.errors import GpcError
from gpsynth.sandbox.jwt import FUTURE_IAT_LEEWAY_SECONDS, check_authorization

NOW = 1_760_000_000
ORG_READ = "organization/*.read"


def check(claims: dict, scope: str = ORG_READ, now: int = NOW):
    return check_authorization(bearer(claims), scope, now)


def rejected(authorization: str | None, status: int, scope: str = ORG_READ) -> GpcError:
    with pytest.raises(GpcError) as caught:
        check_authorization(authorization, scope, NOW)
    assert caught.value.status == status, caught.value.diagnostics
    assert caught.value.spine_code == ("BAD_REQUEST" if status == 400 else "INVALID_RESOURCE")
    return caught.value


def with_times(iat: int, exp: int) -> dict:
    return {**default_claims(NOW), "iat": iat, "exp": exp}


def test_default_token_is_accepted_and_summarised():
    claims = check(default_claims(NOW))
    assert claims.organization_ods_code == "GPCA0001"
    assert claims.organization_name == "GP Connect Assurance"
    assert claims.practitioner_id == "1"
    assert claims.practitioner_sds_user_id == "GCASDS0001"
    assert claims.requested_scope == ORG_READ
    assert claims.issuer == "https://ConsumerSystemURL"


@pytest.mark.parametrize(
    "claim",
    [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "reason_for_request",
        "requested_scope",
        "requesting_device",
        "requesting_organization",
        "requesting_practitioner",
    ],
)
def test_missing_claim_is_bad_request(claim):
    claims = default_claims(NOW)
    del claims[claim]
    err = rejected(bearer(claims), 400)
    assert claim in err.diagnostics


def test_requested_record_claim_is_bad_request():
    rejected(bearer({**default_claims(NOW), "requested_record": {"resourceType": "Patient"}}), 400)


@pytest.mark.parametrize("lifetime", [299, 301, -1, 0])
def test_exp_must_be_exactly_iat_plus_300(lifetime):
    err = rejected(bearer(with_times(NOW, NOW + lifetime)), 400)
    assert "iat + 300" in err.diagnostics


def test_creation_time_200_seconds_in_the_future_is_tolerated():
    check(with_times(NOW + 200, NOW + 500))


def test_creation_time_now_is_accepted():
    check(with_times(NOW, NOW + 300))


def test_consumer_clock_600_seconds_slow_means_expired():
    err = rejected(bearer(with_times(NOW - 600, NOW - 300)), 400)
    assert "expired" in err.diagnostics


def test_leeway_boundaries():
    check(with_times(NOW + FUTURE_IAT_LEEWAY_SECONDS, NOW + FUTURE_IAT_LEEWAY_SECONDS + 300))
    rejected(bearer(with_times(NOW + FUTURE_IAT_LEEWAY_SECONDS + 1, NOW + FUTURE_IAT_LEEWAY_SECONDS + 301)), 400)
    check(with_times(NOW - 300, NOW))
    rejected(bearer(with_times(NOW - 301, NOW - 1)), 400)


def test_times_must_be_integers():
    rejected(bearer({**default_claims(NOW), "exp": str(NOW + 298)}), 400)
    rejected(bearer({**default_claims(NOW), "iat": True}), 400)


def test_token_not_base64_encoded_is_bad_request():
    header = json.dumps({"alg": "none", "typ": "JWT"})
    rejected(f"Bearer {header}.{json.dumps(default_claims(NOW))}.", 400)


def test_padded_base64_is_bad_request():
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = json.dumps(default_claims(NOW)).encode()
    if len(payload) % 3 == 0:
        payload += b" "  # a length base64 has to pad
    padded = base64.urlsafe_b64encode(payload).decode()
    assert padded.endswith("=")
    rejected(f"Bearer {head}.{padded}.", 400)
    check_authorization(f"Bearer {head}.{padded.rstrip('=')}.", ORG_READ, NOW)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer abc.def",
        "Bearer abc.def.ghi",
        "Bearer e30.e30.e30.",
    ],
)
def test_malformed_authorization_is_bad_request(authorization):
    rejected(authorization, 400)


def test_signature_or_missing_trailing_dot_is_bad_request():
    token = bearer(default_claims(NOW))
    rejected(token[:-1], 400)
    rejected(token + "c2ln", 400)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "HS256", "typ": "JWT"},
        {"alg": "none"},
        {"alg": "none", "typ": "JWS"},
        {"alg": "none", "typ": "JWT", "kid": "1"},
    ],
)
def test_header_must_be_alg_none_typ_jwt(header):
    rejected(bearer(default_claims(NOW), header), 400)


def test_payload_must_be_a_json_object():
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    for payload in (b"not json", b"[1, 2]"):
        rejected(f"Bearer {head}.{base64.urlsafe_b64encode(payload).rstrip(b'=').decode()}.", 400)


@pytest.mark.parametrize("claim", ["requesting_device", "requesting_organization", "requesting_practitioner"])
def test_invalid_resource_type_is_unprocessable(claim):
    claims = default_claims(NOW)
    claims[claim]["resourceType"] = "InvalidResourceType"
    err = rejected(bearer(claims), 422)
    assert "InvalidResourceType" in err.diagnostics


@pytest.mark.parametrize("claim", ["requesting_device", "requesting_organization", "requesting_practitioner"])
def test_unknown_field_makes_an_invalid_resource(claim):
    claims = default_claims(NOW)
    claims[claim]["invalidField"] = "Assurance Testing"
    err = rejected(bearer(claims), 422)
    assert "invalidField" in err.diagnostics


def test_resource_claim_that_is_not_an_object_is_unprocessable():
    rejected(bearer({**default_claims(NOW), "requesting_device": "Device"}), 422)
    claims = default_claims(NOW)
    claims["requesting_practitioner"]["name"] = {"family": "NotAList"}
    rejected(bearer(claims), 422)


def test_requested_scope_must_be_the_interactions_scope():
    rejected(bearer({**default_claims(NOW), "requested_scope": "badScope"}), 400)
    rejected(bearer(default_claims(NOW, scope="patient/*.read")), 400)
    assert check(default_claims(NOW, scope="patient/*.write"), scope="patient/*.write").requested_scope == "patient/*.write"


def test_reason_for_request_must_be_directcare():
    rejected(bearer({**default_claims(NOW), "reason_for_request": "notdirectcare"}), 400)


def test_sub_must_equal_requesting_practitioner_id():
    rejected(bearer({**default_claims(NOW), "sub": "2"}), 400)
    claims = default_claims(NOW)
    del claims["requesting_practitioner"]["id"]
    rejected(bearer(claims), 400)


def test_rc5_ods_system_is_accepted():
    claims = default_claims(NOW)
    claims["requesting_organization"]["identifier"][0]["system"] = "http://fhir.nhs.net/Id/ods-organization-code"
    assert check(claims).organization_ods_code == "GPCA0001"


def test_requesting_organization_needs_ods_code_and_name():
    claims = default_claims(NOW)
    other_system = {"system": "http://fhir.nhs.net/Id/someOtherCodingSystem", "value": "NoOdsCode"}
    claims["requesting_organization"]["identifier"] = [other_system]
    rejected(bearer(claims), 400)
    claims = default_claims(NOW)
    del claims["requesting_organization"]["identifier"]
    rejected(bearer(claims), 400)
    claims = default_claims(NOW)
    del claims["requesting_organization"]["name"]
    rejected(bearer(claims), 400)


def test_unk_identity_values_are_accepted():
    claims = default_claims(NOW)
    claims["requesting_practitioner"]["identifier"][0]["value"] = "UNK"
    claims["requesting_practitioner"]["identifier"][1]["value"] = "UNK"
    assert check(claims).practitioner_sds_user_id == "UNK"


def test_practitioner_without_role_profile_and_guid_is_accepted():
    claims = default_claims(NOW)
    claims["requesting_practitioner"]["identifier"] = claims["requesting_practitioner"]["identifier"][:1]
    check(claims)


def test_requesting_practitioner_needs_sds_user_id_and_name():
    claims = default_claims(NOW)
    claims["requesting_practitioner"]["identifier"] = [{"system": "http://IdentifierServer/RandomId", "value": "ABC123"}]
    rejected(bearer(claims), 400)
    claims = default_claims(NOW)
    del claims["requesting_practitioner"]["identifier"]
    rejected(bearer(claims), 400)
    claims = default_claims(NOW)
    del claims["requesting_practitioner"]["name"]
    rejected(bearer(claims), 400)


def test_requesting_device_needs_identifier_model_and_version():
    for element in ("identifier", "model", "version"):
        claims = default_claims(NOW)
        del claims["requesting_device"][element]
        rejected(bearer(claims), 400)
