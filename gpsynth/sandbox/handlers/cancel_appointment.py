"""Cancel an appointment: status cancelled with a cancellation reason, nothing else changed; its slots become free."""

from __future__ import annotations

import orjson

from ...fhir.constants import EXT_CANCELLATION_REASON
from ...store.live_rows import LiveRow
from ..appointment_checks import changed_elements
from ..appointment_updates import check_update_body, updatable
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, INVALID_RESOURCE
from ..provider import DAY, Provider
from ..live_book import Rows
from ..shapes import objects
from ..slot_index import free_slot_of
from ..times import london_instant, seconds


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
    last_updated = london_instant(request.now)

    appointment_id = request.path_params["id"]
    book = provider.book

    async def prepare() -> tuple[Rows, Rows]:
        appointments = await book.rows("Appointment", [appointment_id])
        found = appointments.get(appointment_id)
        return appointments, await book.rows("Slot", slot_ids(orjson.loads(found.resource)) if found else [])

    def decide(prepared: tuple[Rows, Rows]) -> tuple[list[LiveRow], LiveRow]:
        appointments, slots = prepared
        sent = check_update_body(request, appointments.get(appointment_id), ("status",))
        if sent.get("status") != "cancelled":
            raise INVALID_RESOURCE(f"Appointment.status {sent.get('status')}: a cancellation has status cancelled")
        stored = updatable(appointments.get(appointment_id), request, practice, "cancelled")
        changed = changed_elements(sent, stored.resource, ("status",))
        if changed:
            raise INVALID_RESOURCE(f"A cancellation changes only status and the cancellation reason; this request also "
                                   f"changes {', '.join(changed)}")
        cancelled = dict(stored.resource)
        cancelled["extension"] = [*cancelled.get("extension", []), {"url": EXT_CANCELLATION_REASON, "valueString": reason}]
        cancelled["status"] = "cancelled"
        appointment = stored.row.changed(cancelled, last_updated, status="cancelled", cancellation_reason=reason)
        freed = []
        for slot_id in slot_ids(stored.resource):
            slot = slots.get(slot_id)
            if slot is not None:
                freed.append(slot.changed({**orjson.loads(slot.resource), "status": "free"}, last_updated, status="free"))
        schedules = provider.directory.schedules
        reopened = []
        for row in freed:
            schedule = schedules.get(row.columns["schedule_id"])
            if (schedule is not None and schedule.organization_id is not None and row.columns.get("bookable")
                    and seconds(row.columns["end"]) > request.now - DAY):
                reopened.append(free_slot_of(row, schedule.organization_id))
        provider.slots.add(reopened)
        return [appointment, *freed], appointment

    done = await book.change(prepare, decide)
    return GpcResponse(body(done.resource, request.response_format), headers={"ETag": weak_etag(done.version_id)})


def slot_ids(appointment: dict) -> list[str]:
    return [s["reference"].partition("/")[2] for s in appointment.get("slot", ())]
