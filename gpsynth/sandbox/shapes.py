"""Reading a request body's elements by the shape FHIR gives them, before anything relies on that shape."""

from __future__ import annotations

from .errors import INVALID_RESOURCE


def objects(value: object, where: str) -> list[dict]:
    """A repeating element as a list of JSON objects (absent: empty); 422 INVALID_RESOURCE for any other shape."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise INVALID_RESOURCE(f"{where} must be a list of JSON objects")
    return value


def one_object(value: object, where: str) -> dict:
    """A single complex element as a JSON object (absent: empty); 422 INVALID_RESOURCE for any other shape."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise INVALID_RESOURCE(f"{where} must be a JSON object")
    return value
