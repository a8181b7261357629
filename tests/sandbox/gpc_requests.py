"""Builds GP Connect consumer requests the way the provider assurance suite does (JWT, SSP headers)."""

from __future__ import annotations

import base64
import json

CONSUMER_ASID = "200000000359"
PROVIDER_ASID = "918999198993"
INTERACTION = "urn:nhs:names:services:gpconnect:fhir:rest:"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def default_claims(now: int, scope: str = "organization/*.read") -> dict:
    """The suite's default token: created 2 s ago, valid for 300 s, practitioner 1, ODS GPCA0001."""
    iat = now - 2
    return {
        "iss": "https://ConsumerSystemURL",
        "sub": "1",
        "aud": "https://authorize.fhir.nhs.net/token",
        "exp": iat + 300,
        "iat": iat,
        "reason_for_request": "directcare",
        "requested_scope": scope,
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{"system": "GPConnectTestSystem", "value": "Client"}],
            "model": "v1",
            "version": "1.1",
        },
        "requesting_organization": {
            "resourceType": "Organization",
            "name": "GP Connect Assurance",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "GPCA0001"}],
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": "1",
            "name": [{"prefix": ["Mr"], "given": ["AssuranceTest"], "family": "AssurancePractitioner"}],
            "identifier": [
                {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "GCASDS0001"},
                {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "112233445566"},
                {"system": "https://consumersupplier.com/Id/user-guid", "value": "98ed4f78-814d-4266-8d5b-cde742f3093c"},
            ],
        },
    }


def bearer(claims: dict, header: dict | None = None) -> str:
    """`Bearer <base64url header>.<base64url claims>.` — unsigned, as GP Connect requires."""
    header = header or {"alg": "none", "typ": "JWT"}
    return f"Bearer {_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}."


def gpc_headers(interaction: str, claims: dict, accept: str = "application/fhir+json") -> dict[str, str]:
    """Every header the suite sends: SSP headers, Authorization and Accept."""
    return {
        "Ssp-TraceID": "09a01679-2564-0fb4-5129-aecc81ea2706",
        "Ssp-From": CONSUMER_ASID,
        "Ssp-To": PROVIDER_ASID,
        "Ssp-InteractionID": interaction if interaction.startswith("urn:") else INTERACTION + interaction,
        "Authorization": bearer(claims),
        "Accept": accept,
    }
