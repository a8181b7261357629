"""Read a practitioner: one of the practice's practitioners by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import PRACTITIONER_NOT_FOUND
from ..provider import Provider


async def read_practitioner(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    entry = provider.directory.practitioners.get(request.path_params["id"])
    if entry is None or entry.organization_id != practice.organization_id:
        raise PRACTITIONER_NOT_FOUND(f"No practitioner of {practice.ods_code} has the logical id "
                                     f"{request.path_params['id']}")
    return GpcResponse(body(entry.resource, request.response_format), headers={"ETag": weak_etag(entry.version_id)})
