"""Find an organisation: the organisations with an ODS code."""

from __future__ import annotations

from ...fhir.constants import ODS_ORGANIZATION
from ...identifiers import ODS_CODE
from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_IDENTIFIER_SYSTEM, INVALID_IDENTIFIER_VALUE
from ..params import identifier_token
from ..provider import Provider


async def find_organisation(request: GpcRequest, provider: Provider) -> GpcResponse:
    provider.practice(request)
    token = identifier_token(request, f"{ODS_ORGANIZATION}|A20047")
    if token.system != ODS_ORGANIZATION:
        raise INVALID_IDENTIFIER_SYSTEM(f"Organisations are found by ODS code: identifier={ODS_ORGANIZATION}|<ODS code>, "
                                        f"not by {token.system}")
    if not ODS_CODE.fullmatch(token.value.upper()):
        raise INVALID_IDENTIFIER_VALUE(f"{token.value} is not an ODS code (1-9 letters and digits)")
    found = provider.directory.organizations_with_ods(token.value)
    return GpcResponse(searchset((entry.resource for entry in found), request.response_format, request.now,
                                   request.service_root, "Organization"))
