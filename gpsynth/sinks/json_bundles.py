"""FHIR JSON Bundles: a collection Bundle per practice, or transaction Bundles of PUTs with stable ids.

Bundles are assembled from the already-rendered resource bytes, so every resource is serialised once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from ..fhir.constants import RESOURCE_TYPES
from .base import DatasetInfo, ShardOutput, sink_folder

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
    return put_entry(resource, resource_type.encode() + b"/" + resource_id)


def put_entry(resource: bytes, url: bytes) -> bytes:
    """A Bundle entry that PUTs `resource` at `url` (Type/id), from bytes."""
    return b'{"resource":' + resource + b',"request":{"method":"PUT","url":"' + url + b'"}}'


class JsonBundleSink:
    needs = frozenset()

    def __init__(self, root: Path, info: DatasetInfo, kind: str = "collection", bundle_size: int = DEFAULT_BUNDLE_SIZE):
        self.folder = sink_folder(root, "json")
        self.info, self.kind, self.bundle_size = info, kind, bundle_size
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
            self._write_bundle(f"transaction-{self.bundles + 1:05d}", self.pending)
            self.pending = []

    def _write_bundle(self, name: str, entries: list[bytes]):
        bundle = bundle_bytes(name, self.kind, self.info.last_updated, entries)
        (self.folder / f"{name}.json").write_bytes(bundle)
        self.bundles += 1

    def close(self) -> dict[str, int]:
        if self.kind == "transaction":
            self._flush_transaction()
        return {t: n for t, n in self.counts.items() if n}
