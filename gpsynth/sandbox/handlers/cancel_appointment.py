"""Cancel an appointment: status cancelled with a cancellation reason, nothing else changed; its slots become free."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import orjson

from ...fhir.constants import EXT_CANCELLATION_REASON
from ...store import update_resource
from ..appointment_checks import changed_elements
from ..appointment_updates import check_update_body, updatable
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, INVALID_RESOURCE
from ..provider import DAY, Provider
from ..shapes import objects
from ..slot_index import FreeSlot, query_free_slots
from ..times import london_instant


@dataclass(frozen=True)
class Cancelled:
    appointment: bytes
    freed: list[FreeSlot]


def cancellation_reason(sent) -> str:
    reasons = [e for e in objects(sent.get("extension"), "Appointment.extension") if e.get("url") == EXT_CANCELLATION_REASON]
    if len(reasons) != 1:
        raise INVALID_RESOURCE(f"A cancellation needs one cancellation reason extension {EXT_CANCELLATION_REASON} "
                               "with a valueString")
    reason = reasons[0].get("valueString")
    if not isinstance(reason, str) or not reason.strip():
        raise INVALID_PARAMETER("The cancellation reason is empty; say why the appointment is cancelled")
    return reason


async def cancel_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    reason = cancellation_reason(request.body)     # first: an empty reason is not valid FHIR either
    sent = check_update_body(request)
    if sent.get("status") != "cancelled":
        raise INVALID_RESOURCE(f"Appointment.status {sent.get('status')}: a cancellation has status cancelled")
    last_updated = london_instant(request.now)

    def cancel(con: duckdb.DuckDBPyConnection) -> Cancelled:
        stored = updatable(con, request, practice, "cancelled")
        changed = changed_elements(sent, stored.resource, ("status",))
        if changed:
            raise INVALID_RESOURCE(f"A cancellation changes only status and the cancellation reason; this request also "
                                   f"changes {', '.join(changed)}")
        cancelled = dict(stored.resource)
        cancelled["extension"] = [*cancelled.get("extension", []), {"url": EXT_CANCELLATION_REASON, "valueString": reason}]
        cancelled["status"] = "cancelled"
        appointment = update_resource(con, "Appointment", cancelled, last_updated, practice.shard, status="cancelled",
                                      cancellation_reason=reason)
        slot_ids = [s["reference"].partition("/")[2] for s in stored.resource.get("slot", ())]
        for slot_id in slot_ids:
            found = con.execute("SELECT resource FROM slot WHERE shard = ? AND id = ?", [practice.shard, slot_id]).fetchall()
            if found:
                update_resource(con, "Slot", {**orjson.loads(found[0][0]), "status": "free"}, last_updated,
                                practice.shard, status="free")
        return Cancelled(appointment, query_free_slots(con, request.now - DAY, slot_ids))

    done = await provider.store.write(cancel, lambda done: provider.slots.add(done.freed))
    version_id = orjson.loads(done.appointment)["meta"]["versionId"]
    return GpcResponse(body(done.appointment, request.response_format), headers={"ETag": weak_etag(version_id)})
