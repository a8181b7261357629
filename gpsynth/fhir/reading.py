"""Reading elements out of FHIR JSON resources: references, identifiers, extensions, codings, contained resources."""

from __future__ import annotations

from collections.abc import Mapping


def reference_id(reference: Mapping | None, resource_type: str) -> str | None:
    """`{"reference": "Location/1"}` -> "1"; None when absent or of another type."""
    text = (reference or {}).get("reference") or ""
    kind, _, found = text.partition("/")
    return found if kind == resource_type and found and "/" not in found else None


def identifier_value(resource: Mapping, system: str) -> str | None:
    for identifier in resource.get("identifier") or ():
        if identifier.get("system") == system and identifier.get("value"):
            return identifier["value"]
    return None


def extension(resource: Mapping, url: str) -> Mapping | None:
    for found in resource.get("extension") or ():
        if found.get("url") == url:
            return found
    return None


def coding_code(concept: Mapping | None) -> str | None:
    for coding in (concept or {}).get("coding") or ():
        if coding.get("code"):
            return coding["code"]
    return None


def contained(r: Mapping, reference: Mapping | None) -> Mapping:
    """The contained resource a `#id` reference points at; empty when there is none."""
    local = ((reference or {}).get("reference") or "").removeprefix("#")
    return next((x for x in r.get("contained") or () if local and x.get("id") == local), {})
