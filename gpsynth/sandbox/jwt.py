"""The unsigned GP Connect JWT in the Authorization header: decoding it and checking its claims.

Timing rule: `exp` must be exactly `iat + 300`; the token is refused once `exp` has passed (no leeway),
and `iat` may run up to FUTURE_IAT_LEEWAY_SECONDS ahead of the provider clock (the leeway the reference
provider is configured with). So a consumer clock 200 s fast is accepted and one 600 s slow, whose
token expired 300 s ago, is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import orjson

from gpsynth.fhir.constants import ODS_ORGANIZATION, SDS_USER_ID
from gpsynth.sandbox.errors import BAD_REQUEST, INVALID_RESOURCE
from gpsynth.fhir.model_check import model_problem
from gpsynth.sandbox.nesting import MAX_NESTING, json_too_deep

TOKEN_LIFETIME_SECONDS = 300
FUTURE_IAT_LEEWAY_SECONDS = 600
DIRECT_CARE = "directcare"
# The DSTU2-era (rc5) ODS system; the assurance suite expects a requesting_organization using it to pass.
ODS_ORGANIZATION_RC5 = "http://fhir.nhs.net/Id/ods-organization-code"

JWT_HEADER = {"alg": "none", "typ": "JWT"}
STRING_CLAIMS = ("iss", "sub", "aud", "reason_for_request", "requested_scope")
TIME_CLAIMS = ("exp", "iat")
RESOURCE_CLAIMS = {
    "requesting_device": "Device",
    "requesting_organization": "Organization",
    "requesting_practitioner": "Practitioner",
}
FORBIDDEN_CLAIMS = ("requested_record",)

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class JwtClaims:
    """What a handler may need from a valid token: who asks, from where, with which scope."""

    issuer: str
    audience: str
    requested_scope: str
    organization_ods_code: str
    organization_name: str
    practitioner_id: str
    practitioner_sds_user_id: str
    expires_at: int                 # exp, UNIX seconds


def check_authorization(authorization: str | None, required_scope: str, now: float) -> JwtClaims:
    """Decode the `Authorization: Bearer` JWT and validate its claims for an interaction needing `required_scope`."""
    return validate_claims(decode_bearer_token(authorization), required_scope, now)


def decode_bearer_token(authorization: str | None) -> dict:
    """`Bearer <header>.<payload>.` -> the claims object; 400 BAD_REQUEST for anything else."""
    if authorization is None:
        raise BAD_REQUEST("The Authorization header is missing", rule="jwt-format")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise BAD_REQUEST("The Authorization header must be 'Bearer <JWT>'", rule="jwt-format")
    parts = token.split(".")
    if len(parts) != 3 or parts[2]:
        raise BAD_REQUEST("The JWT must be unsigned: base64url header '.' base64url payload '.' (empty signature)", rule="jwt-format")
    header = _decode_part(parts[0], "header")
    if header != JWT_HEADER:
        expected, sent = orjson.dumps(JWT_HEADER).decode(), orjson.dumps(header).decode()
        raise BAD_REQUEST(f"The JWT header must be {expected}, not {sent}", rule="jwt-format")
    return _decode_part(parts[1], "payload")


def _decode_part(part: str, name: str) -> dict:
    if not _BASE64URL.fullmatch(part):
        raise BAD_REQUEST(f"The JWT {name} is not base64url-encoded without padding", rule="jwt-format")
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, orjson.JSONDecodeError):
        raise BAD_REQUEST(f"The JWT {name} is not base64url-encoded JSON", rule="jwt-format") from None
    if not isinstance(value, dict):
        raise BAD_REQUEST(f"The JWT {name} is not a JSON object", rule="jwt-format")
    if json_too_deep(raw, value):
        raise BAD_REQUEST(f"The JWT {name} nests values more than {MAX_NESTING} levels deep", rule="jwt-format")
    return value


def validate_claims(claims: Mapping, required_scope: str, now: float) -> JwtClaims:
    """Check the claims against GP Connect's rules; 422 INVALID_RESOURCE for a bad FHIR resource claim,
    400 BAD_REQUEST for everything else."""
    for claim in FORBIDDEN_CLAIMS:
        if claim in claims:
            raise BAD_REQUEST(f"The JWT claim {claim} is not allowed in GP Connect STU3 tokens", rule="jwt-claim")
    for claim in (*STRING_CLAIMS, *TIME_CLAIMS, *RESOURCE_CLAIMS):
        if claims.get(claim) is None:
            raise BAD_REQUEST(f"The JWT claim {claim} is missing", rule="jwt-claim")
    for claim in STRING_CLAIMS:
        if not isinstance(claims[claim], str) or not claims[claim].strip():
            raise BAD_REQUEST(f"The JWT claim {claim} must be a non-blank string", rule="jwt-claim")
    for claim in TIME_CLAIMS:
        if not isinstance(claims[claim], int) or isinstance(claims[claim], bool):
            raise BAD_REQUEST(f"The JWT claim {claim} must be an integer number of seconds since the UNIX epoch", rule="jwt-claim")
    for claim, resource_type in RESOURCE_CLAIMS.items():
        _check_resource(claim, claims[claim], resource_type)

    _check_times(claims["iat"], claims["exp"], now)
    if claims["reason_for_request"] != DIRECT_CARE:
        raise BAD_REQUEST(f"The JWT claim reason_for_request must be {DIRECT_CARE}, not {claims['reason_for_request']}", rule="jwt-reason")
    if claims["requested_scope"] != required_scope:
        raise BAD_REQUEST(
            f"The JWT claim requested_scope {claims['requested_scope']} does not match this interaction's "
            f"scope {required_scope}", rule="jwt-scope"
        )

    practitioner = claims["requesting_practitioner"]
    if practitioner.get("id") != claims["sub"]:
        raise BAD_REQUEST(
            f"The JWT claim sub {claims['sub']} must equal requesting_practitioner.id {practitioner.get('id')}", rule="jwt-requester"
        )
    if not any(name.get("family") for name in practitioner.get("name", [])):
        raise BAD_REQUEST("The JWT requesting_practitioner must have a name with a family name", rule="jwt-requester")
    sds_user_id = _identifier_value(practitioner, (SDS_USER_ID,))
    if sds_user_id is None:
        raise BAD_REQUEST(f"The JWT requesting_practitioner must have an identifier with system {SDS_USER_ID}", rule="jwt-requester")

    organization = claims["requesting_organization"]
    if not organization.get("name"):
        raise BAD_REQUEST("The JWT requesting_organization must have a name", rule="jwt-requester")
    ods_code = _identifier_value(organization, (ODS_ORGANIZATION, ODS_ORGANIZATION_RC5))
    if ods_code is None:
        raise BAD_REQUEST(f"The JWT requesting_organization must have an identifier with system {ODS_ORGANIZATION}", rule="jwt-requester")

    device = claims["requesting_device"]
    identifiers = device.get("identifier", [])
    if not identifiers or not identifiers[0].get("system") or not identifiers[0].get("value"):
        raise BAD_REQUEST("The JWT requesting_device must have an identifier with a system and a value", rule="jwt-requester")
    for element in ("model", "version"):
        if not device.get(element):
            raise BAD_REQUEST(f"The JWT requesting_device must have a {element}", rule="jwt-requester")

    return JwtClaims(
        issuer=claims["iss"],
        audience=claims["aud"],
        requested_scope=claims["requested_scope"],
        organization_ods_code=ods_code,
        organization_name=organization["name"],
        practitioner_id=practitioner["id"],
        practitioner_sds_user_id=sds_user_id,
        expires_at=claims["exp"],
    )


def _check_resource(claim: str, value: object, resource_type: str) -> None:
    if not isinstance(value, dict):
        raise INVALID_RESOURCE(f"The JWT claim {claim} must be a FHIR {resource_type} resource (a JSON object)", rule="jwt-requester")
    if value.get("resourceType") != resource_type:
        raise INVALID_RESOURCE(
            f"The JWT claim {claim} has resourceType {value.get('resourceType')}; expected {resource_type}", rule="jwt-requester"
        )
    problem = _model_problem(resource_type, orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    if problem:
        raise INVALID_RESOURCE(f"The JWT claim {claim} is not a valid FHIR STU3 {resource_type}: {problem}", rule="jwt-requester")


@lru_cache(maxsize=1024)
def _model_problem(resource_type: str, value: bytes) -> str | None:
    """What the STU3 model finds wrong with a claim resource, or None; cached, as a consumer sends the same ones."""
    return model_problem(resource_type, orjson.loads(value))


def _check_times(iat: int, exp: int, now: float) -> None:
    if exp - iat != TOKEN_LIFETIME_SECONDS:
        raise BAD_REQUEST(f"The JWT claim exp must be exactly iat + {TOKEN_LIFETIME_SECONDS}; it is iat + {exp - iat}",
                          rule="jwt-lifetime")
    if iat > now + FUTURE_IAT_LEEWAY_SECONDS:
        raise BAD_REQUEST(f"The JWT claim iat is {iat - now:.0f} s in the future; at most {FUTURE_IAT_LEEWAY_SECONDS} s is tolerated",
                          rule="jwt-iat-future")
    if exp < now:
        raise BAD_REQUEST(f"The JWT expired {now - exp:.0f} s ago (exp {exp})", rule="jwt-expired")


def _identifier_value(resource: Mapping, systems: tuple[str, ...]) -> str | None:
    for identifier in resource.get("identifier", []):
        if identifier.get("system") in systems and identifier.get("value"):
            return identifier["value"]
    return None
