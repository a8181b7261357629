"""FHIR JSON Bundles: a collection Bundle per practice, or transaction Bundles of PUTs with stable ids.

Transaction Bundles are counted within their part: `transaction-00001.json`, ... for a dataset of one
part, `transaction-00003-00001.json`, ... for part 3 of a larger one. Bundles are assembled from the
already-rendered resource bytes, so every resource is serialised once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..fhir.text import ended, join
from ..parts import Part
from ..info import DatasetInfo
from .base import AfterAllParts, PartResult, ShardOutput

BUNDLE_KINDS = ("collection", "transaction")
DEFAULT_BUNDLE_SIZE = 1000


def bundle_bytes(bundle_id: str, bundle_type: str, last_updated: str, entries: list[pa.Array]) -> bytes:
    head = orjson.dumps({"resourceType": "Bundle", "id": bundle_id, "meta": {"lastUpdated": last_updated},
                         "type": bundle_type})
    listed = b"".join(ended(chunk, ",").to_pybytes() for chunk in entries)[:-1]
    return head[:-1] + b',"entry":[' + listed + b"]}\n"


def collection_entries(resources: pa.Array) -> pa.Array:
    return join('{"resource":', resources, "}")


def transaction_entries(resource_type: str, resources: pa.Array) -> pa.Array:
    # The id is the first "id" of every rendering: each starts with resourceType, then id.
    ids = pc.extract_regex(resources, '"id":"(?P<id>[^"]*)"').field("id")
    return join('{"resource":', resources, f',"request":{{"method":"PUT","url":"{resource_type}/', ids, '"}}')


def put_entry(resource: bytes, url: bytes) -> bytes:
    """A Bundle entry that PUTs `resource` at `url` (Type/id), from bytes."""
    return b'{"resource":' + resource + b',"request":{"method":"PUT","url":"' + url + b'"}}'


class JsonBundlePart:
    def __init__(self, destination: Destination, part: Part, last_updated: str, kind: str, bundle_size: int):
        self.destination, self.part, self.last_updated = destination, part, last_updated
        self.kind, self.bundle_size = kind, bundle_size
        self.pending: list[pa.Array] = []
        self.pending_count = 0
        self.bundles = 0

    def write(self, output: ShardOutput) -> None:
        present = [(t, output.rendered[t]) for t in RESOURCE_TYPES if len(output.rendered.get(t, ()))]
        if self.kind == "collection":
            if present:
                self._write_bundle(output.practice_ods, [collection_entries(resources) for _, resources in present])
            return
        for resource_type, resources in present:
            entries, start = transaction_entries(resource_type, resources), 0
            while start < len(entries):
                take = min(self.bundle_size - self.pending_count, len(entries) - start)
                self.pending.append(entries.slice(start, take))
                self.pending_count += take
                start += take
                if self.pending_count == self.bundle_size:
                    self._flush_transaction()

    def _flush_transaction(self) -> None:
        if self.pending:
            within = f"{self.bundles + 1:05d}"
            self._write_bundle(f"transaction-{within}" if self.part.single else f"transaction-{self.part.number:05d}-{within}",
                               self.pending)
            self.pending, self.pending_count = [], 0

    def _write_bundle(self, name: str, entries: list[pa.Array]) -> None:
        with self.destination.open(f"json/{name}.json") as handle:
            handle.write(bundle_bytes(name, self.kind, self.last_updated, entries))
        self.bundles += 1

    def close(self) -> PartResult:
        if self.kind == "transaction":
            self._flush_transaction()
        return PartResult()


@dataclass(frozen=True)
class JsonBundleFormat:
    info: DatasetInfo
    kind: str = "collection"
    bundle_size: int = DEFAULT_BUNDLE_SIZE
    name = "json"
    needs = frozenset[str]()

    def part_writer(self, destination: Destination, part: Part) -> JsonBundlePart:
        return JsonBundlePart(destination, part, self.info.last_updated, self.kind, self.bundle_size)

    def finisher(self, destination: Destination) -> AfterAllParts:
        return AfterAllParts(partial(self.finish, destination))

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]],
               counts: dict[str, int]) -> None:
        """Every Bundle is written with its part."""
