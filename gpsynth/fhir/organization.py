"""CareConnect-GPC-Organization-1: practices and consumer organisations."""

from __future__ import annotations

from ..records import BookingOrganisation, Organization
from . import constants as c
from .common import address, meta, organisation_type, phone, reference


def render(org: Organization, last_updated: str) -> dict:
    resource: dict[str, object] = {"resourceType": "Organization", "id": org.id, "meta": meta("Organization", last_updated)}
    if org.main_location_id:
        resource["extension"] = [{"url": c.EXT_MAIN_LOCATION, "valueReference": reference("Location", org.main_location_id)}]
    resource.update({
        "identifier": [{"system": c.ODS_ORGANIZATION, "value": org.ods_code}],
        "active": True,
        "type": organisation_type(org.org_type),
        "name": org.name,
        "telecom": [phone(org.phone, "work")],
        "address": [address(org.address, "work")],
    })
    return resource


def render_contained(org: BookingOrganisation, contained_id: str) -> dict:
    """The booking organisation as an Appointment carries it: contained, with ODS code, name and phone."""
    return {
        "resourceType": "Organization",
        "id": contained_id,
        "meta": {"profile": [c.PROFILE["Organization"]]},
        "identifier": [{"system": c.ODS_ORGANIZATION, "value": org.ods_code}],
        "type": organisation_type(org.org_type),
        "name": org.name,
        "telecom": [phone(org.phone, "work")],
    }
