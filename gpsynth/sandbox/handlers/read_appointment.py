"""Read an appointment: one of the practice's future appointments by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, NO_RECORD_FOUND
from ..provider import Provider
from ..times import london_instant


async def read_appointment(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    appointment_id = request.path_params["id"]
    rows = await provider.store.read(lambda con: con.execute(
        "SELECT version_id, epoch(start)::BIGINT, resource FROM appointment "
        "WHERE shard = ? AND id = ? AND organization_id = ?",
        [practice.shard, appointment_id, practice.organization_id]).fetchall())
    if not rows:
        raise NO_RECORD_FOUND(f"No appointment of {practice.ods_code} has the logical id {appointment_id}")
    version_id, start, resource = rows[0]
    if start <= request.now:
        raise INVALID_PARAMETER(f"Appointment/{appointment_id} started at {london_instant(start)}, in the past; "
                                "GP Connect reads future appointments only")
    return GpcResponse(body(resource.encode(), request.response_format), headers={"ETag": weak_etag(version_id)})
