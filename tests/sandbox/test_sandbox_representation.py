"""ETag, If-Match and Prefer."""

import pytest

from gpsynth.sandbox.errors import GpcError
from gpsynth.sandbox.representation import Prefer, etag, parse_if_match, parse_prefer


def test_etag_is_weak_version_id():
    assert etag({"resourceType": "Appointment", "meta": {"versionId": "1532013244073"}}) == 'W/"1532013244073"'
    with pytest.raises(ValueError):
        etag({"resourceType": "Appointment", "id": "1"})


@pytest.mark.parametrize(
    ("header", "version"), [('W/"23"', "23"), ('"23"', "23"), (' W/"a.1" ', "a.1"), (None, None), ("", None), ("*", None)]
)
def test_if_match(header, version):
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["23", 'W/""', 'W/"1", W/"2"', "W/23"])
def test_malformed_if_match_is_bad_request(header):
    with pytest.raises(GpcError) as caught:
        parse_if_match(header)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("header", "prefer"),
    [
        (None, Prefer.REPRESENTATION),
        ("return=representation", Prefer.REPRESENTATION),
        ("return=minimal", Prefer.MINIMAL),
        ('respond-async, return="minimal"', Prefer.MINIMAL),
        ("return=OperationOutcome", Prefer.REPRESENTATION),
    ],
)
def test_prefer(header, prefer):
    assert parse_prefer(header) is prefer
