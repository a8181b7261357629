"""Cutting a type's resources into bundles and writing the request bodies.

Every write is `PUT Type/id` with the dataset's own id, so sending a bundle twice leaves the server
as sending it once: a retry after an unknown outcome, or a resumed load, never duplicates.
Bundles never mix types, so a type can finish before the types that reference it start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from ..errors import GpsynthError
from ..sinks.json_bundles import put_entry


@dataclass(frozen=True)
class Chunk:
    """Resources of one type at consecutive positions in the source, the first at `first` (from 0)."""

    resource_type: str
    first: int
    resources: tuple[bytes, ...]


@dataclass(frozen=True)
class Entry:
    """One resource ready to send: its type, id and JSON body."""

    resource_type: str
    id: str
    body: bytes

    @property
    def url(self) -> str:
        return f"{self.resource_type}/{self.id}"


def entries(chunk: Chunk, source: str, convert: Callable[[dict], dict] | None = None) -> tuple[Entry, ...]:
    """Parse and check each resource of `chunk`; re-serialise only those that `convert` rewrites."""
    out = []
    for position, raw in enumerate(chunk.resources):
        where = f"{source}: {chunk.resource_type} number {chunk.first + position + 1}"
        try:
            resource = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise GpsynthError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(resource, dict) or resource.get("resourceType") != chunk.resource_type or not resource.get("id"):
            raise GpsynthError(f"{where}: expected a {chunk.resource_type} with an id")
        body = orjson.dumps(convert(resource)) if convert else raw
        out.append(Entry(chunk.resource_type, resource["id"], body))
    return tuple(out)


def bundle_body(bundle_type: str, items: tuple[Entry, ...]) -> bytes:
    """A `transaction` or `batch` Bundle of PUTs, assembled from the entries' bytes."""
    parts = [put_entry(e.body, e.url.encode()) for e in items]
    return b'{"resourceType":"Bundle","type":"' + bundle_type.encode() + b'","entry":[' + b",".join(parts) + b"]}"
