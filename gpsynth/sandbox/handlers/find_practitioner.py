"""Find a practitioner: the practice's practitioners with an SDS user id."""

from __future__ import annotations

from ...fhir.constants import SDS_USER_ID
from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_IDENTIFIER_SYSTEM
from ..params import identifier_token
from ..provider import Provider


async def find_practitioner(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    token = identifier_token(request, f"{SDS_USER_ID}|G13579135")
    if token.system != SDS_USER_ID:
        raise INVALID_IDENTIFIER_SYSTEM(f"Practitioners are found by SDS user id: identifier={SDS_USER_ID}|<user id>, "
                                        f"not by {token.system}")
    found = provider.directory.practitioners_with_sds_id(practice.organization_id, token.value)
    return GpcResponse(searchset((entry.resource for entry in found), request.response_format, request.now,
                                   request.service_root, "Practitioner"))
