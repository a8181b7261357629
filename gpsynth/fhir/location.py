"""CareConnect-GPC-Location-1: a surgery, main or branch, managed by its practice."""

from __future__ import annotations

from ..records import Location
from . import constants as c
from .common import address, meta, phone, reference


def render(location: Location, last_updated: str) -> dict:
    resource = {"resourceType": "Location", "id": location.id, "meta": meta("Location", last_updated)}
    if location.ods_site_code:
        resource["identifier"] = [{"system": c.ODS_SITE, "value": location.ods_site_code}]
    resource.update({
        "status": "active",
        "name": location.name,
        "telecom": [phone(location.phone, "work")],
        "address": address(location.address, "work"),
        "managingOrganization": reference("Organization", location.organization_id),
    })
    return resource
