"""Content negotiation: the response format a request asks for, reading request bodies, writing resources."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import orjson

from gpsynth.sandbox.errors import BAD_REQUEST, INVALID_RESOURCE, UNSUPPORTED_MEDIA_TYPE
from gpsynth.sandbox.fhirxml import FhirXmlError, MalformedXml, resource_from_xml, resource_to_xml
from gpsynth.sandbox.nesting import MAX_NESTING, json_too_deep, too_deep


class Format(enum.Enum):
    """A FHIR wire format and the Content-Type GP Connect responses carry for it."""

    JSON = "application/fhir+json;charset=utf-8"
    XML = "application/fhir+xml;charset=utf-8"

    @property
    def content_type(self) -> str:
        return self.value


# `_format` values and media types, as the FHIR STU3 http page and HAPI accept them.
MEDIA_TYPES = {
    "json": Format.JSON,
    "application/fhir+json": Format.JSON,
    "application/json+fhir": Format.JSON,
    "application/json": Format.JSON,
    "text/json": Format.JSON,
    "xml": Format.XML,
    "application/fhir+xml": Format.XML,
    "application/xml+fhir": Format.XML,
    "application/xml": Format.XML,
    "text/xml": Format.XML,
}
_WILDCARDS = ("*/*", "application/*")
_SUPPORTED = "application/fhir+json or application/fhir+xml"


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    """`Application/FHIR+JSON; charset=UTF-8` -> ("application/fhir+json", {"charset": "UTF-8"})."""
    media_type, *params = value.split(";")
    parameters = {}
    for param in params:
        key, _, val = param.partition("=")
        parameters[key.strip().lower()] = val.strip().strip('"')
    # An unencoded `+` in a query string arrives as a space: `_format=application/fhir+json`.
    return media_type.strip().lower().replace(" ", "+"), parameters


def response_format(format_param: str | None, accept: str | None, content_type: str | None) -> Format:
    """The format to answer in: `_format`, else `Accept`, else the request Content-Type, else JSON.

    An `Accept` of only wildcards defers to the next source; naming only unsupported types is 415.
    """
    if format_param:
        media_type, _ = _media_type(format_param)
        if media_type not in MEDIA_TYPES:
            raise UNSUPPORTED_MEDIA_TYPE(f"_format {format_param} is not supported; use {_SUPPORTED}", rule="http-media-type")
        return MEDIA_TYPES[media_type]
    if accept and accept.strip():
        chosen = _from_accept(accept)
        if chosen is not None:
            return chosen
    if content_type and content_type.strip():
        media_type, _ = _media_type(content_type)
        if media_type not in MEDIA_TYPES:
            raise UNSUPPORTED_MEDIA_TYPE(f"Content-Type {content_type} is not supported; use {_SUPPORTED}", rule="http-media-type")
        return MEDIA_TYPES[media_type]
    return Format.JSON


def _from_accept(accept: str) -> Format | None:
    ranked = []
    for position, item in enumerate(accept.split(",")):
        media_type, parameters = _media_type(item)
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            quality = 0.0
        if media_type and quality > 0:
            ranked.append((-quality, position, media_type))
    for _, _, media_type in sorted(ranked):
        if media_type in MEDIA_TYPES:
            return MEDIA_TYPES[media_type]
    if any(media_type in _WILDCARDS for _, _, media_type in ranked):
        return None
    raise UNSUPPORTED_MEDIA_TYPE(f"Accept {accept} names no supported format; use {_SUPPORTED}", rule="http-media-type")


def parse_body(content_type: str | None, body: bytes) -> dict:
    """A request body in FHIR JSON or XML -> the JSON-shaped resource dict.

    No or an unsupported Content-Type is 415; bytes that are not JSON/XML are 400 BAD_REQUEST; JSON
    or XML that is not a FHIR STU3 resource is 422 INVALID_RESOURCE.
    """
    if not content_type or not content_type.strip():
        raise UNSUPPORTED_MEDIA_TYPE(f"A request body needs a Content-Type header: {_SUPPORTED}", rule="http-media-type")
    media_type, parameters = _media_type(content_type)
    body_format = MEDIA_TYPES.get(media_type)
    if body_format is None:
        raise UNSUPPORTED_MEDIA_TYPE(f"Content-Type {content_type} is not supported; use {_SUPPORTED}", rule="http-media-type")
    if parameters.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise UNSUPPORTED_MEDIA_TYPE(f"Content-Type {content_type}: only charset=utf-8 is supported", rule="http-media-type")
    if not body.strip():
        raise BAD_REQUEST("The request body is empty", rule="body-syntax")
    if body_format is Format.XML:
        try:
            resource = resource_from_xml(body)
        except MalformedXml as exc:
            raise BAD_REQUEST(f"The request body is not well-formed XML: {exc}", rule="body-syntax") from None
        except FhirXmlError as exc:
            raise INVALID_RESOURCE(f"The request body is not a FHIR STU3 resource: {exc}", rule="body-resource") from None
    else:
        try:
            resource = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BAD_REQUEST(f"The request body is not valid JSON: {exc}", rule="body-syntax") from None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise INVALID_RESOURCE("The request body is not a FHIR resource: a JSON object with a resourceType", rule="body-resource")
    if (too_deep(resource) if body_format is Format.XML else json_too_deep(body, resource)):
        raise INVALID_RESOURCE(f"The request body nests elements more than {MAX_NESTING} levels deep; "
                               "no GP Connect resource does", rule="body-resource")
    return resource


def serialise(resource: Mapping | orjson.Fragment, fmt: Format) -> bytes:
    """A JSON-shaped resource dict -> response body bytes in `fmt`; stored JSON (a Fragment) goes out as JSON only."""
    if fmt is Format.JSON:
        return orjson.dumps(resource)
    if isinstance(resource, orjson.Fragment):
        raise TypeError("stored JSON cannot be sent as XML: parse it first (gpsynth.sandbox.bundles.body)")
    return resource_to_xml(resource)
