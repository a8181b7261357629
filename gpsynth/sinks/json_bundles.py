"""FHIR JSON Bundles: a collection Bundle per practice, or transaction Bundles of PUTs with stable ids.

Transaction Bundles are counted within their part: `transaction-00001.json`, ... for a dataset of one
part, `transaction-00003-00001.json`, ... for part 3 of a larger one. Bundles are assembled from the
already-rendered resource bytes, so every resource is serialised once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import orjson

from ..destination import Destination
from ..fhir.constants import RESOURCE_TYPES
from ..parts import Part
from .base import DatasetInfo, PartResult, ShardOutput, added_counts

BUNDLE_KINDS = ("collection", "transaction")
DEFAULT_BUNDLE_SIZE = 1000


def bundle_bytes(bundle_id: str, bundle_type: str, last_updated: str, entries: list[bytes]) -> bytes:
    head = orjson.dumps({"resourceType": "Bundle", "id": bundle_id, "meta": {"lastUpdated": last_updated},
                         "type": bundle_type})
    return head[:-1] + b',"entry":[' + b",".join(entries) + b"]}\n"


def collection_entry(resource: bytes) -> bytes:
    return b'{"resource":' + resource + b"}"


def transaction_entry(resource_type: str, resource: bytes) -> bytes:
    # The id follows "id":" at a fixed place: every rendering starts with resourceType then id.
    start = resource.index(b'"id":"') + 6
    resource_id = resource[start:resource.index(b'"', start)]
    url = resource_type.encode() + b"/" + resource_id
    return b'{"resource":' + resource + b',"request":{"method":"PUT","url":"' + url + b'"}}'


class JsonBundlePart:
    def __init__(self, destination: Destination, part: Part, last_updated: str, kind: str, bundle_size: int):
        self.destination, self.part, self.last_updated = destination, part, last_updated
        self.kind, self.bundle_size = kind, bundle_size
        self.pending: list[bytes] = []
        self.bundles = 0
        self.counts = Counter()

    def write(self, output: ShardOutput) -> None:
        rendered = output.rendered
        for resource_type in RESOURCE_TYPES:
            self.counts[resource_type] += len(rendered.get(resource_type, ()))
        if self.kind == "collection":
            entries = [collection_entry(r) for t in RESOURCE_TYPES for r in rendered.get(t, ())]
            if entries:
                self._write_bundle(output.practice_ods, entries)
            return
        for resource_type in RESOURCE_TYPES:
            for resource in rendered.get(resource_type, ()):
                self.pending.append(transaction_entry(resource_type, resource))
                if len(self.pending) == self.bundle_size:
                    self._flush_transaction()

    def _flush_transaction(self):
        if self.pending:
            within = f"{self.bundles + 1:05d}"
            self._write_bundle(f"transaction-{within}" if self.part.single else f"transaction-{self.part.number:05d}-{within}",
                               self.pending)
            self.pending = []

    def _write_bundle(self, name: str, entries: list[bytes]):
        with self.destination.open(f"json/{name}.json") as handle:
            handle.write(bundle_bytes(name, self.kind, self.last_updated, entries))
        self.bundles += 1

    def close(self) -> PartResult:
        if self.kind == "transaction":
            self._flush_transaction()
        return PartResult({t: n for t, n in self.counts.items() if n})


@dataclass(frozen=True)
class JsonBundleFormat:
    info: DatasetInfo
    kind: str = "collection"
    bundle_size: int = DEFAULT_BUNDLE_SIZE
    name = "json"
    needs = frozenset()

    def part_writer(self, destination: Destination, part: Part) -> JsonBundlePart:
        return JsonBundlePart(destination, part, self.info.last_updated, self.kind, self.bundle_size)

    def finish(self, destination: Destination, results: list[PartResult], shards: list[tuple[int, str]]) -> dict[str, int]:
        return added_counts(results)
