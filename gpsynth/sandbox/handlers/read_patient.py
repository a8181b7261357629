"""Read a patient: one of the practice's patients by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import PATIENT_NOT_FOUND
from ..provider import Provider


async def read_patient(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    patient_id = request.path_params["id"]
    row = await provider.book.row("Patient", patient_id)
    if row is None or not practice.holds(row):
        raise PATIENT_NOT_FOUND(f"No patient of {practice.ods_code} has the logical id {patient_id}; "
                                "find patients by NHS number with GET /Patient?identifier=…")
    return GpcResponse(body(row.resource, request.response_format), headers={"ETag": weak_etag(row.version_id)})
