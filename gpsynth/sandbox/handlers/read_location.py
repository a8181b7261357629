"""Read a location: one of the practice's surgeries by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import NO_RECORD_FOUND
from ..provider import Provider


async def read_location(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    entry = provider.directory.locations.get(request.path_params["id"])
    if entry is None or entry.organization_id != practice.organization_id:
        raise NO_RECORD_FOUND(f"No location of {practice.ods_code} has the logical id {request.path_params['id']}")
    return GpcResponse(body(entry.resource, request.response_format), headers={"ETag": weak_etag(entry.version_id)})
