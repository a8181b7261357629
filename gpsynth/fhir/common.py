"""Datatype renderings shared by the profiles: meta, references, addresses, codings."""

from __future__ import annotations

from functools import lru_cache

from ..records import Address
from . import constants as c


@lru_cache(maxsize=64)
def meta(resource_type: str, last_updated: str, version_id: str = "1") -> dict:
    """Shared between resources (orjson serialises shared objects fine): never mutate the result."""
    return {"versionId": version_id, "lastUpdated": last_updated, "profile": [c.PROFILE[resource_type]]}


def reference(resource_type: str, resource_id: str) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


@lru_cache(maxsize=16384)
def address(value: Address, use: str) -> dict:
    """Shared between resources like meta: pooled addresses recur, so each is rendered once."""
    return {"use": use, "type": "physical", "line": list(value.lines), "city": value.city,
            "district": value.district, "postalCode": value.postcode, "country": "GBR"}


def phone(value: str, use: str) -> dict:
    return {"system": "phone", "value": value, "use": use}


def coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def practitioner_role_extension(role_code: str) -> dict:
    return {"url": c.EXT_PRACTITIONER_ROLE,
            "valueCodeableConcept": {"coding": [coding(c.CS_SDS_JOB_ROLE, role_code, c.PRACTITIONER_ROLES[role_code])]}}


def delivery_channel_extension(channel: str) -> dict:
    return {"url": c.EXT_DELIVERY_CHANNEL, "valueCode": channel}


def organisation_type(org_type: str) -> list[dict]:
    return [{"coding": [coding(c.CS_ORGANISATION_TYPE, org_type, c.ORGANISATION_TYPES[org_type])]}]


@lru_cache(maxsize=1)
def english_communication() -> dict:
    return {"url": c.EXT_NHS_COMMUNICATION, "extension": [
        {"url": "language", "valueCodeableConcept": {"coding": [coding(c.CS_HUMAN_LANGUAGE, "en", "English")]}},
        {"url": "preferred", "valueBoolean": True},
        {"url": "interpreterRequired", "valueBoolean": False},
    ]}
