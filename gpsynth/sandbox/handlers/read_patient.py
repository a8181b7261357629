"""Read a patient: one of the practice's patients by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import PATIENT_NOT_FOUND
from ..provider import Provider


async def read_patient(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    patient_id = request.path_params["id"]
    rows = await provider.store.read(lambda con: con.execute(
        "SELECT version_id, resource FROM patient WHERE shard = ? AND id = ? AND organization_id = ?",
        [practice.shard, patient_id, practice.organization_id]).fetchall())
    if not rows:
        raise PATIENT_NOT_FOUND(f"No patient of {practice.ods_code} has the logical id {patient_id}; "
                                "find patients by NHS number with GET /Patient?identifier=…")
    version_id, resource = rows[0]
    return GpcResponse(body(resource.encode(), request.response_format), headers={"ETag": weak_etag(version_id)})
