"""The SSP header checks."""

import pytest
from gpc_requests import PROVIDER_ASID, default_claims, gpc_headers

from gpsynth.sandbox.errors import GpcError
from gpsynth.sandbox.headers import check_ssp_headers


def headers() -> dict[str, str]:
    return gpc_headers("read:metadata-1", default_claims(0))


def test_valid_headers_are_parsed_case_insensitively():
    lowered = {name.lower(): value for name, value in headers().items()}
    ssp = check_ssp_headers(lowered, PROVIDER_ASID)
    assert ssp.to_asid == PROVIDER_ASID
    assert ssp.from_asid == "200000000359"
    assert ssp.interaction_id == "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1"


@pytest.mark.parametrize("name", ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_or_blank_header_is_bad_request_naming_it(name, value):
    sent = headers()
    if value is None:
        del sent[name]
    else:
        sent[name] = value
    with pytest.raises(GpcError) as caught:
        check_ssp_headers(sent, PROVIDER_ASID)
    assert (caught.value.status, caught.value.spine_code) == (400, "BAD_REQUEST")
    assert name in caught.value.diagnostics


def test_ssp_to_must_be_this_provider():
    with pytest.raises(GpcError) as caught:
        check_ssp_headers({**headers(), "Ssp-To": "200000000359"}, PROVIDER_ASID)
    assert caught.value.status == 400
    assert "Ssp-To" in caught.value.diagnostics and PROVIDER_ASID in caught.value.diagnostics
