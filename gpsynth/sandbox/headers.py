"""The Spine Secure Proxy headers every GP Connect request carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gpsynth.sandbox.errors import BAD_REQUEST

SSP_TRACE_ID = "Ssp-TraceID"
SSP_FROM = "Ssp-From"
SSP_TO = "Ssp-To"
SSP_INTERACTION_ID = "Ssp-InteractionID"


@dataclass(frozen=True)
class SspHeaders:
    """The SSP headers of one request: trace id, consumer ASID, provider ASID and interaction ID."""

    trace_id: str
    from_asid: str
    to_asid: str
    interaction_id: str


def check_ssp_headers(headers: Mapping[str, str], provider_asid: str) -> SspHeaders:
    """Require the four SSP headers, non-blank, with Ssp-To equal to this provider's ASID; else 400 BAD_REQUEST."""
    by_name = {name.lower(): value for name, value in headers.items()}
    values = []
    for name in (SSP_TRACE_ID, SSP_FROM, SSP_TO, SSP_INTERACTION_ID):
        value = by_name.get(name.lower())
        if value is None:
            raise BAD_REQUEST(f"The {name} header is missing", rule="ssp-header")
        if not value.strip():
            raise BAD_REQUEST(f"The {name} header is blank", rule="ssp-header")
        values.append(value.strip())
    ssp = SspHeaders(*values)
    if ssp.to_asid != provider_asid:
        raise BAD_REQUEST(f"The {SSP_TO} header {ssp.to_asid} is not this provider's ASID {provider_asid}", rule="ssp-to")
    return ssp
