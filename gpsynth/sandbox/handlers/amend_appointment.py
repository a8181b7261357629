"""Amend an appointment: change its description and comment, nothing else."""

from __future__ import annotations

from ...fhir.constants import EXT_CANCELLATION_REASON
from ...fhir.reading import extension
from ...store.live_rows import LiveRow
from ..appointment_checks import changed_elements
from ..appointment_updates import check_update_body, updatable
from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_RESOURCE
from ..live_book import Rows
from ..provider import Provider
from ..times import london_instant

AMENDABLE = ("description", "comment")


async def amend_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    last_updated = london_instant(request.now)
    appointment_id = request.path_params["id"]

    async def prepare() -> Rows:
        return await provider.book.rows("Appointment", [appointment_id])

    def decide(appointments: Rows) -> tuple[list[LiveRow], LiveRow]:
        sent = check_update_body(request, appointments.get(appointment_id), AMENDABLE)
        if sent.get("status") != "booked":
            raise INVALID_RESOURCE(f"Appointment.status {sent.get('status')}: an amended appointment stays booked "
                                   "(cancel it with the cancel interaction)")
        if extension(sent, EXT_CANCELLATION_REASON):
            raise INVALID_RESOURCE("An amendment cannot carry a cancellation reason; cancel with the cancel interaction")
        stored = updatable(appointments.get(appointment_id), request, practice, "amended")
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
        row = stored.row.changed(amended, last_updated, description=sent["description"], comment=sent.get("comment"))
        return [row], row

    row = await provider.book.change(prepare, decide)
    return GpcResponse(body(row.resource, request.response_format), headers={"ETag": weak_etag(row.version_id)})
