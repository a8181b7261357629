"""Packed rows give back exactly the rows put in: the newest version by id, every row by an indexed column."""

from __future__ import annotations

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from gpsynth.sandbox.packed_rows import PAGE_ROWS, PackedRows
from gpsynth.sandbox.times import seconds
from gpsynth.store.live_rows import LiveRow

ids = st.sampled_from([f"P{k}" for k in range(40)] + ["GPSL0001-P1", "GPSL0001-P10", "GPSL0001-P100"])
keys = st.one_of(st.none(), st.sampled_from(["9000000009", "9000000017", "90000000", "9000000009-long"]))


def row(row_id: str, version: int, key: str | None) -> LiveRow:
    resource = f'{{"resourceType":"Patient","id":"{row_id}","meta":{{"versionId":"{version}"}}}}'.encode()
    return LiveRow("Patient", row_id, 1, version, version, "2026-12-04T09:00:00+00:00", resource,
                   {"nhs_number": key, "state": "registered", "tags": ["a", "b"]})


def batches(rows: list[LiveRow], size: int) -> list[pa.RecordBatch]:
    """The rows as the store gives them in bulk, `size` rows a batch, instants as UNIX seconds."""
    found = []
    for start in range(0, len(rows), size):
        part = rows[start:start + size]
        found.append(pa.RecordBatch.from_pydict({
            "id": [r.id for r in part], "nhs_number": [r.columns["nhs_number"] for r in part],
            "header": [orjson.dumps([r.id, r.shard, r.seq, r.version_id, seconds(r.last_updated), r.columns])
                       for r in part],
            "resource": pa.array([r.resource for r in part], pa.binary())}))
    return found


@settings(max_examples=60, deadline=None)
@given(bulk=st.lists(st.tuples(ids, keys), max_size=3 * PAGE_ROWS, unique_by=lambda pair: pair[0]),
       later=st.lists(st.tuples(ids, keys), max_size=3 * PAGE_ROWS), size=st.integers(1, 2 * PAGE_ROWS))
def test_lookups_match_a_plain_model(bulk, later, size):
    rows = [row(row_id, 1, key) for row_id, key in bulk]
    packed = PackedRows.of("Patient", ("nhs_number",), batches(rows, size))
    newest = {r.id: r for r in rows}
    for version, (row_id, key) in enumerate(later, start=2):
        newest[row_id] = row(row_id, version, key)
        packed.put(newest[row_id])
    assert len(packed) == len(bulk) + len(later)
    assert packed.newest() == newest
    for row_id in {*newest, "P999", "GPSL0001-P1000000"}:
        assert packed.get(row_id) == newest.get(row_id)
    for key in ("9000000009", "9000000017", "90000000", "9000000009-long", "900000000"):
        found = packed.where("nhs_number", key)
        assert sorted(r.id for r in found) == sorted(r.id for r in newest.values() if r.columns["nhs_number"] == key)
        assert all(r == newest[r.id] for r in found)
