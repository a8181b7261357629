"""Choosing the response format, reading request bodies and writing responses."""

import orjson
import pytest
from gpc_resources import appointment

from gpsynth.sandbox.errors import GpcError
from gpsynth.sandbox.fhirxml import resource_to_xml
from gpsynth.sandbox.negotiation import Format, parse_body, response_format, serialise

JSON, XML = "application/fhir+json", "application/fhir+xml"


@pytest.mark.parametrize(
    ("format_param", "accept", "content_type", "expected"),
    [
        (None, None, None, Format.JSON),
        (XML, JSON, JSON, Format.XML),
        (JSON, XML, XML, Format.JSON),
        ("xml", None, None, Format.XML),
        ("json", XML, None, Format.JSON),
        ("application/fhir xml", None, None, Format.XML),  # an unencoded + arrives as a space
        ("text/xml", None, None, Format.XML),
        ("application/xml+fhir", None, None, Format.XML),
        ("application/json+fhir", None, None, Format.JSON),
        (None, XML, JSON, Format.XML),
        (None, "application/fhir+xml;charset=utf-8", None, Format.XML),
        (None, "*/*", XML, Format.XML),
        (None, "*/*", None, Format.JSON),
        (None, "text/html, application/fhir+xml;q=0.9, */*;q=0.8", None, Format.XML),
        (None, "application/fhir+json;q=0.5, application/fhir+xml", None, Format.XML),
        (None, None, "application/fhir+xml; charset=UTF-8", Format.XML),
        (None, "text/html, */*", None, Format.JSON),
    ],
)
def test_response_format(format_param, accept, content_type, expected):
    assert response_format(format_param, accept, content_type) is expected


@pytest.mark.parametrize(
    ("format_param", "accept", "content_type"),
    [("html", None, None), ("text/plain", XML, XML), (None, "text/html", None), (None, None, "text/plain")],
)
def test_unsupported_format_is_415(format_param, accept, content_type):
    with pytest.raises(GpcError) as caught:
        response_format(format_param, accept, content_type)
    assert caught.value.status == 415


def test_response_content_types():
    assert Format.JSON.content_type == "application/fhir+json;charset=utf-8"
    assert Format.XML.content_type == "application/fhir+xml;charset=utf-8"


def test_parse_json_and_xml_bodies():
    resource = appointment()
    assert parse_body("application/fhir+json;charset=utf-8", orjson.dumps(resource)) == resource
    assert parse_body("application/fhir+xml", resource_to_xml(resource)) == resource


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        (None, b"{}", 415, "BAD_REQUEST"),
        ("text/plain", b"{}", 415, "BAD_REQUEST"),
        ("application/fhir+json;charset=iso-8859-1", b"{}", 415, "BAD_REQUEST"),
        (JSON, b"", 400, "BAD_REQUEST"),
        (JSON, b"{not json", 400, "BAD_REQUEST"),
        (XML, b"<Appointment", 400, "BAD_REQUEST"),
        (JSON, b"[]", 422, "INVALID_RESOURCE"),
        (JSON, b'{"status": "booked"}', 422, "INVALID_RESOURCE"),
        (XML, b'<Appointment xmlns="http://hl7.org/fhir"><foo value="1"/></Appointment>', 422, "INVALID_RESOURCE"),
    ],
)
def test_bad_bodies(content_type, body, status, code):
    with pytest.raises(GpcError) as caught:
        parse_body(content_type, body)
    assert (caught.value.status, caught.value.spine_code) == (status, code)


def test_serialise():
    resource = appointment()
    assert orjson.loads(serialise(resource, Format.JSON)) == resource
    assert serialise(resource, Format.XML).startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<Appointment")
