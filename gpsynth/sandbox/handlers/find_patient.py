"""Find a patient: the practice's active patients with an NHS number (deceased, sensitive and inactive ones are not found)."""

from __future__ import annotations

from ...fhir.constants import NHS_NUMBER
from ...identifiers import is_valid_nhs_number
from ...store.live_rows import READ_COLUMNS
from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_IDENTIFIER_SYSTEM, INVALID_NHS_NUMBER
from ..params import identifier_token
from ..provider import Provider

FINDABLE = ("normal", "no-appointments")


async def find_patient(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    token = identifier_token(request, f"{NHS_NUMBER}|9658218865")
    if token.system != NHS_NUMBER:
        raise INVALID_IDENTIFIER_SYSTEM(f"Patients are found by NHS number: identifier={NHS_NUMBER}|<NHS number>, "
                                        f"not by {token.system}")
    if not is_valid_nhs_number(token.value):
        raise INVALID_NHS_NUMBER(f"{token.value} is not a valid NHS number (10 digits passing the modulus-11 check)")
    stored = await provider.book.stored("Patient", "nhs_number", token.value, READ_COLUMNS["Patient"])
    rows = await provider.book.merged("Patient", stored, provider.book.by_nhs_number.get(token.value, ()))
    found = [row.resource for row in rows if practice.holds(row) and row.columns.get("nhs_number") == token.value
             and row.columns.get("state") in FINDABLE]
    return GpcResponse(searchset(found, request.response_format, request.now, request.service_root, "Patient"))
