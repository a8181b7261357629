"""Stored resources as response bodies: one resource, or a searchset Bundle of them.

Resources are kept as the JSON the store holds. For a JSON response they are spliced into the body
unparsed (orjson.Fragment); for XML they are parsed, because the XML writer needs the structure.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from ..fhir.constants import PROFILE
from .negotiation import Format
from .times import london_instant


def body(resource: bytes, fmt: Format):
    """A stored resource as GpcResponse.resource for `fmt`."""
    return orjson.Fragment(resource) if fmt is Format.JSON else orjson.loads(resource)


def weak_etag(version_id: int | str) -> str:
    return f'W/"{version_id}"'


def searchset(resources: Iterable[bytes], fmt: Format, now: float, profiled: bool = False) -> dict:
    """A searchset Bundle of stored resources: no fullUrl, no paging; `profiled` adds GPConnect-Searchset-Bundle-1."""
    meta = {"lastUpdated": london_instant(now)}
    if profiled:
        meta["profile"] = [PROFILE["Bundle"]]
    bundle = {"resourceType": "Bundle", "meta": meta, "type": "searchset"}
    entries = [{"resource": body(resource, fmt)} for resource in resources]
    if entries:
        bundle["entry"] = entries
    return bundle
