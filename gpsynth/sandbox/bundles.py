"""Stored resources as response bodies: one resource, or a searchset Bundle of them.

Resources are kept as the JSON the store holds. For a JSON response they are spliced into the body
unparsed (orjson.Fragment); for XML they are parsed, because the XML writer needs the structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

from ..fhir.constants import PROFILE, RESOURCE_ID
from .negotiation import Format
from .times import london_instant


# How the store's JSON starts (gpsynth writes resourceType, then id): enough to name an entry without parsing the
# resource, the better part of a slot search's work. JSON starting otherwise is parsed.
_HEAD = re.compile(rb'\{"resourceType":"([A-Za-z]+)","id":"(' + RESOURCE_ID.pattern.encode() + rb')"')


def body(resource: bytes, fmt: Format) -> orjson.Fragment | dict:
    """A stored resource as GpcResponse.resource for `fmt`."""
    return orjson.Fragment(resource) if fmt is Format.JSON else orjson.loads(resource)


def weak_etag(version_id: int | str) -> str:
    return f'W/"{version_id}"'


def searchset(resources: Iterable[bytes], fmt: Format, now: float, service_root: str, matched: str,
              profiled: bool = False) -> dict:
    """A searchset Bundle of stored resources, without paging: each entry with its fullUrl under `service_root`
    and its search mode (`match` for the `matched` type searched for, `include` for what came with it), and
    `total` the number of matches; `profiled` adds GPConnect-Searchset-Bundle-1."""
    meta: dict[str, str | list[str]] = {"lastUpdated": london_instant(now)}
    if profiled:
        meta["profile"] = [PROFILE["Bundle"]]
    entries, total = [], 0
    for resource in resources:
        resource_type, resource_id, parsed = _named(resource, fmt)
        mode = "match" if resource_type == matched else "include"
        total += mode == "match"
        entries.append({"fullUrl": f"{service_root}/{resource_type}/{resource_id}",
                        "resource": orjson.Fragment(resource) if fmt is Format.JSON else parsed,
                        "search": {"mode": mode}})
    bundle = {"resourceType": "Bundle", "meta": meta, "type": "searchset", "total": total}
    if entries:
        bundle["entry"] = entries
    return bundle


def _named(resource: bytes, fmt: Format) -> tuple[str, str, dict | None]:
    """The resource's type and id; and the resource parsed, where the answer is XML or the JSON starts otherwise."""
    head = _HEAD.match(resource) if fmt is Format.JSON else None
    if head:
        return head[1].decode(), head[2].decode(), None
    parsed = orjson.loads(resource)
    return parsed["resourceType"], parsed["id"], parsed
