"""FHIR Bulk Data layout: one NDJSON file per resource type, split past a size limit, and a manifest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from ..fhir.constants import RESOURCE_TYPES
from .base import DatasetInfo, ShardOutput, sink_folder

DEFAULT_MAX_FILE_BYTES = 1 << 30


class NdjsonSink:
    needs = frozenset()

    def __init__(self, root: Path, info: DatasetInfo, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES):
        self.folder = sink_folder(root, "ndjson")
        self.info, self.max_file_bytes = info, max_file_bytes
        self.files: dict[str, list[dict]] = {t: [] for t in RESOURCE_TYPES}  # manifest entries per type
        self.handles = {}
        self.sizes = Counter()

    def _handle(self, resource_type: str, incoming: int):
        entries = self.files[resource_type]
        if entries and self.sizes[resource_type] + incoming > self.max_file_bytes and entries[-1]["count"]:
            self.handles.pop(resource_type).close()
        if resource_type not in self.handles:
            n = len(entries) + 1
            name = f"{resource_type}.ndjson" if n == 1 else f"{resource_type}.{n}.ndjson"
            self.handles[resource_type] = open(self.folder / name, "wb")
            entries.append({"type": resource_type, "url": name, "count": 0})
            self.sizes[resource_type] = 0
        return self.handles[resource_type], entries[-1]

    def write(self, output: ShardOutput) -> None:
        for resource_type, lines in output.rendered.items():
            start = 0
            while start < len(lines):
                # Fill the current file up to the limit, one line at a time only near the boundary.
                handle, entry = self._handle(resource_type, len(lines[start]) + 1)
                room = self.max_file_bytes - self.sizes[resource_type]
                stop, size = start, 0
                while stop < len(lines) and (size + len(lines[stop]) + 1 <= room or stop == start):
                    size += len(lines[stop]) + 1
                    stop += 1
                handle.write(b"\n".join(lines[start:stop]) + b"\n")
                entry["count"] += stop - start
                self.sizes[resource_type] += size
                start = stop

    def close(self) -> dict[str, int]:
        for handle in self.handles.values():
            handle.close()
        output = [entry for t in RESOURCE_TYPES for entry in self.files[t]]
        manifest = {
            "transactionTime": self.info.last_updated,
            "request": f"gpsynth generate --scenario {self.info.scenario_name} --seed {self.info.seed} --as-of {self.info.as_of}",
            "requiresAccessToken": False,
            "output": output,
            "error": [],
            "extension": {"gpsynth": {"version": self.info.version, "scenario": self.info.scenario_name,
                                      "seed": self.info.seed, "asOf": self.info.as_of.isoformat()}},
        }
        (self.folder / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
        counts = Counter()
        for entry in output:
            counts[entry["type"]] += entry["count"]
        return dict(counts)
