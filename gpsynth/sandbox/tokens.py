"""Consumer-side JWTs for trying the sandbox: the unsigned GP Connect token a consumer sends, built for a scope."""

from __future__ import annotations

import base64

import orjson

from ..fhir.constants import ODS_ORGANIZATION, SDS_ROLE_PROFILE_ID, SDS_USER_ID
from .jwt import DIRECT_CARE, JWT_HEADER, TOKEN_LIFETIME_SECONDS



def _b64url(value: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def consumer_token(now: int, scope: str, audience: str, ods_code: str = "GPCA0001",
                   organisation_name: str = "gpsynth consumer") -> str:
    """An unsigned GP Connect JWT (`<header>.<claims>.`) valid for 300 s from `now`."""
    claims = {
        "iss": "https://consumer.example/gpsynth",
        "sub": "1",
        "aud": audience,
        "exp": now + TOKEN_LIFETIME_SECONDS,
        "iat": now,
        "reason_for_request": DIRECT_CARE,
        "requested_scope": scope,
        "requesting_device": {"resourceType": "Device", "identifier": [{"system": "https://consumer.example/device",
                                                                        "value": "gpsynth"}],
                              "model": "gpsynth token", "version": "1"},
        "requesting_organization": {"resourceType": "Organization", "name": organisation_name,
                                    "identifier": [{"system": ODS_ORGANIZATION, "value": ods_code}]},
        "requesting_practitioner": {"resourceType": "Practitioner", "id": "1",
                                    "name": [{"family": "Consumer", "given": ["Test"], "prefix": ["Dr"]}],
                                    "identifier": [{"system": SDS_USER_ID, "value": "UNK"},
                                                   {"system": SDS_ROLE_PROFILE_ID, "value": "UNK"}]},
    }
    return f"{_b64url(JWT_HEADER)}.{_b64url(claims)}."
