"""CareConnect-GPC-Practitioner-1: a clinician with SDS user and role profile identifiers."""

from __future__ import annotations

from ..records import Practitioner
from . import constants as c
from .common import english_communication, meta


def render(person: Practitioner, last_updated: str) -> dict:
    identifiers = [{"system": c.SDS_USER_ID, "value": person.sds_user_id}]
    identifiers += [{"system": c.SDS_ROLE_PROFILE_ID, "value": p} for p in person.role_profile_ids]
    return {
        "resourceType": "Practitioner",
        "id": person.id,
        "meta": meta("Practitioner", last_updated),
        "extension": [english_communication()],
        "identifier": identifiers,
        "active": True,
        "name": [{"use": "usual", "family": person.family, "given": [person.given], "prefix": [person.prefix]}],
        "gender": person.gender,
    }
