"""Reading a generated dataset back for the loader tests: resources by type and id, and their references."""

from __future__ import annotations

from pathlib import Path

import orjson

from gpsynth.fhir.constants import RESOURCE_TYPES


def dataset(folder: Path) -> dict[str, dict[str, dict]]:
    """The NDJSON rendition of a generated folder, by type and id."""
    found = {}
    for resource_type in RESOURCE_TYPES:
        lines = (folder / "ndjson" / f"{resource_type}.ndjson").read_bytes().splitlines()
        found[resource_type] = {r["id"]: r for r in map(orjson.loads, lines)}
    return found


def references(value):
    """Every Reference.reference string inside a resource, contained ones included."""
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)
