"""Read an organisation by logical id."""

from __future__ import annotations

from ..bundles import body, weak_etag
from ..context import GpcRequest, GpcResponse
from ..errors import ORGANISATION_NOT_FOUND
from ..provider import Provider


async def read_organisation(request: GpcRequest, provider: Provider) -> GpcResponse:
    provider.practice(request)
    entry = provider.directory.organizations.get(request.path_params["id"])
    if entry is None:
        raise ORGANISATION_NOT_FOUND(f"No organisation has the logical id {request.path_params['id']}; "
                                     "find organisations by ODS code with GET /Organization?identifier=…")
    return GpcResponse(body(entry.resource, request.response_format), headers={"ETag": weak_etag(entry.version_id)})
