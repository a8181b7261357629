"""Read an appointment: one of the practice's future appointments by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, NO_RECORD_FOUND
from ..provider import Provider
from ..times import london_instant, seconds


async def read_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    appointment_id = request.path_params["id"]
    row = await provider.book.row("Appointment", appointment_id)
    if row is None or not practice.holds(row):
        raise NO_RECORD_FOUND(f"No appointment of {practice.ods_code} has the logical id {appointment_id}")
    start = seconds(row.columns["start"])
    if start <= request.now:
        raise INVALID_PARAMETER(f"Appointment/{appointment_id} started at {london_instant(start)}, in the past; "
                                "GP Connect reads future appointments only")
    return GpcResponse(body(row.resource, request.response_format), headers={"ETag": weak_etag(row.version_id)})
