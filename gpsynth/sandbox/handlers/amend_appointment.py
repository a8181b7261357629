"""Amend an appointment: change its description and comment, nothing else."""

from __future__ import annotations

import duckdb
import orjson

from ...fhir.constants import EXT_CANCELLATION_REASON
from ...store import update_resource
from ...store.columns import extension
from ..appointment_checks import changed_elements
from ..appointment_updates import check_update_body, updatable
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_RESOURCE
from ..provider import Provider
from ..times import london_instant

AMENDABLE = ("description", "comment")


async def amend_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    sent = check_update_body(request)
    if sent.get("status") != "booked":
        raise INVALID_RESOURCE(f"Appointment.status {sent.get('status')}: an amended appointment stays booked "
                               "(cancel it with the cancel interaction)")
    if extension(sent, EXT_CANCELLATION_REASON):
        raise INVALID_RESOURCE("An amendment cannot carry a cancellation reason; cancel with the cancel interaction")

    def amend(con: duckdb.DuckDBPyConnection) -> bytes:
        stored = updatable(con, request, practice, "amended")
        changed = changed_elements(sent, stored.resource, AMENDABLE)
        if changed:
            raise INVALID_RESOURCE(f"Only description and comment can be amended; this request also changes "
                                   f"{', '.join(changed)}")
        amended = {}
        for key, value in stored.resource.items():
            if key == "participant" and sent.get("comment"):
                amended["comment"] = sent["comment"]
            if key != "comment":
                amended[key] = sent["description"] if key == "description" else value
        return update_resource(con, "Appointment", amended, london_instant(request.now), practice.shard,
                               description=sent["description"], comment=sent.get("comment"))

    resource = await provider.store.write(amend)
    version_id = orjson.loads(resource)["meta"]["versionId"]
    return GpcResponse(body(resource, request.response_format), headers={"ETag": weak_etag(version_id)})
