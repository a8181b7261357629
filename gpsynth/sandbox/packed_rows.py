"""Store rows held in memory packed: pages of rows compressed together, looked up through sorted arrays.

A patient's JSON is about 1.9 KB, and most of it repeats from patient to patient: 32 rows compressed
together with LZ4 take under 200 bytes each with their typed columns, and unpacking a page takes about
5 µs. So the sandbox holds every patient of a store the size of `england-1pct` in about 110 MB, where
the rows as Python objects would take well over a gigabyte. (zstd packs a third tighter but unpacks
three times slower, and every read of a patient or an appointment unpacks a page.)

Rows are only appended: a newer version of a row goes to the end, and the lookups give the newest
version. The rows packed in bulk (`PackedRows.of`) are found through sorted NumPy arrays, a few dozen
bytes a row; the rows appended one at a time afterwards (`put`), through dicts.

A page holds its row count, the ends of the rows' headers and of their JSON, then the headers (each a
JSON array: id, shard, seq, version, last update and typed columns), then the JSON. Rows read in bulk
keep their instants as UNIX seconds, made text again when a row is unpacked.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np
import orjson
import pyarrow as pa

from ..calendar import instant_at
from ..store.live_rows import LiveRow
from ..store.resources import resource_table

PAGE_ROWS = 32
CODEC = pa.Codec("lz4")
_COUNT = struct.Struct("<I")


class SortedValues:
    """Positions of rows by the value of one column, indexed in bulk: the values sorted, a few dozen bytes a row."""

    def __init__(self, values: Sequence[str | None] = ()):
        """Index the rows at positions 0, 1, …; rows without a value are left out."""
        given = np.array([value is not None for value in values], dtype=bool)
        keys = np.array([value.encode() for value in values if value is not None], dtype=np.bytes_)
        order = np.argsort(keys, kind="stable")
        self.values = keys[order]
        self.positions = np.flatnonzero(given)[order]

    def find(self, value: str) -> list[int]:
        """Every position of `value`, oldest first."""
        key = value.encode()
        if len(key) > self.values.itemsize:      # NumPy would compare it cut to the array's width
            return []
        found = []
        at = int(self.values.searchsorted(key))
        while at < len(self.values) and self.values[at] == key:
            found.append(int(self.positions[at]))
            at += 1
        return found


class KeyIndex:
    """Positions of rows by the value of one column: sorted for the rows packed in bulk, a dict for those put after.
    (Tuples, not lists: the collector stops walking them once it has seen they hold only numbers.)"""

    def __init__(self, values: Sequence[str | None] = ()):
        self.bulk = SortedValues(values)
        self.added: dict[str, tuple[int, ...]] = {}

    def add(self, value: str | None, position: int) -> None:
        if value is not None:
            self.added[value] = (*self.added.get(value, ()), position)

    def positions(self, value: str) -> list[int]:
        """Every position indexed under `value`, oldest first."""
        return [*self.bulk.find(value), *self.added.get(value, ())]


class IdIndex:
    """The position of each row's newest version: sorted for the rows packed in bulk (one version each), a dict
    of the newest for those put after."""

    def __init__(self, ids: Sequence[str | None] = ()):
        self.bulk = SortedValues(ids)
        self.newest: dict[str, int] = {}

    def add(self, row_id: str, position: int) -> None:
        self.newest[row_id] = position

    def position(self, row_id: str) -> int | None:
        if row_id in self.newest:
            return self.newest[row_id]
        found = self.bulk.find(row_id)
        return found[0] if found else None


class PackedRows:
    """Versions of one resource type's rows, in the order appended; looked up by id and by the `keys` columns."""

    def __init__(self, resource_type: str, keys: tuple[str, ...] = ()):
        self.resource_type = resource_type
        self.instants = [name for name, sql in resource_table(resource_type).columns if sql == "TIMESTAMPTZ"]
        self.pages: list[bytes] = []                 # compressed
        self.sizes: list[int] = []                   # of each page unpacked
        self.unpacked: list[LiveRow] = []            # the rows after the last full page
        self.by_id = IdIndex()
        self.by_key = {column: KeyIndex() for column in keys}

    @classmethod
    def of(cls, resource_type: str, keys: tuple[str, ...], batches: Iterable[pa.RecordBatch]) -> PackedRows:
        """Rows packed and indexed in bulk, from batches of `id`, the `keys` columns, `header` and `resource`
        (see gpsynth.store.live_rows.packed_rows_where)."""
        packed = cls(resource_type, keys)
        ids: list[str | None] = []
        values: dict[str, list[str | None]] = {column: [] for column in keys}
        rest: tuple[pa.Array, pa.Array] | None = None       # rows short of a full page, from the batch before
        for batch in batches:
            ids.extend(batch.column("id").to_pylist())
            for column, found in values.items():
                found.extend(batch.column(column).to_pylist())
            headers, resources = batch.column("header"), batch.column("resource")
            if rest is not None:
                headers, resources = pa.concat_arrays([rest[0], headers]), pa.concat_arrays([rest[1], resources])
            full = len(headers) - len(headers) % PAGE_ROWS
            for start in range(0, full, PAGE_ROWS):
                packed._add_page(_page(headers.slice(start, PAGE_ROWS), resources.slice(start, PAGE_ROWS)))
            rest = headers.slice(full), resources.slice(full)
        if rest is not None and len(rest[0]):
            raw = _page(*rest)
            packed.unpacked = [packed._decoded(raw, at) for at in range(len(rest[0]))]
        packed.by_id = IdIndex(ids)
        packed.by_key = {column: KeyIndex(values[column]) for column in keys}
        return packed

    def __len__(self) -> int:
        return len(self.pages) * PAGE_ROWS + len(self.unpacked)

    def put(self, row: LiveRow) -> None:
        """Append a newer version of a row, or a new row."""
        position = len(self)
        self.unpacked.append(row)
        if len(self.unpacked) == PAGE_ROWS:
            headers = [orjson.dumps([r.id, r.shard, r.seq, r.version_id, r.last_updated, r.columns])
                       for r in self.unpacked]
            self._add_page(_page(pa.array(headers, pa.binary()), pa.array([r.resource for r in self.unpacked])))
            self.unpacked = []
        self.by_id.add(row.id, position)
        for column, index in self.by_key.items():
            index.add(row.columns.get(column), position)

    def get(self, row_id: str) -> LiveRow | None:
        position = self.by_id.position(row_id)
        return self._row(position) if position is not None else None

    def where(self, column: str, value: str) -> list[LiveRow]:
        """The newest version of every row whose `column` is `value`."""
        found: dict[str, LiveRow] = {}
        for position in self.by_key[column].positions(value):
            row = self._row(position)
            if row.id not in found:
                newest = self.by_id.position(row.id)
                row = row if newest == position or newest is None else self._row(newest)
                if row.columns.get(column) == value:
                    found[row.id] = row
        return list(found.values())

    def newest(self) -> dict[str, LiveRow]:
        """The newest version of every row, by id (every page unpacked: for checks, not for serving)."""
        rows: dict[str, LiveRow] = {}
        for page in range(len(self.pages)):
            raw = self._unpack(page)
            rows.update((row.id, row) for row in (self._decoded(raw, at) for at in range(PAGE_ROWS)))
        rows.update((row.id, row) for row in self.unpacked)
        return rows

    def _add_page(self, raw: bytes) -> None:
        self.pages.append(CODEC.compress(raw, asbytes=True))
        self.sizes.append(len(raw))

    def _row(self, position: int) -> LiveRow:
        page, at = divmod(position, PAGE_ROWS)
        if page == len(self.pages):
            return self.unpacked[at]
        return self._decoded(self._unpack(page), at)

    def _unpack(self, page: int) -> bytes:
        return CODEC.decompress(self.pages[page], decompressed_size=self.sizes[page], asbytes=True)

    def _decoded(self, raw: bytes, at: int) -> LiveRow:
        """Row `at` of an unpacked page."""
        count = _COUNT.unpack_from(raw)[0]
        headers = _COUNT.size * (1 + 2 * count)
        resources = headers + _span(raw, 0, count - 1)[1]
        header_start, header_end = _span(raw, 0, at)
        resource_start, resource_end = _span(raw, count, at)
        header = raw[headers + header_start:headers + header_end]
        resource = raw[resources + resource_start:resources + resource_end]
        row_id, shard, seq, version_id, last_updated, columns = orjson.loads(header)
        for name in self.instants:
            if isinstance(columns.get(name), int):
                columns[name] = instant_at(columns[name])
        if isinstance(last_updated, int):
            last_updated = instant_at(last_updated)
        return LiveRow(self.resource_type, row_id, shard, seq, version_id, last_updated, resource, columns)


def _span(raw: bytes, section: int, at: int) -> tuple[int, int]:
    """Where part `at` of a section of an unpacked page (0: the headers; the row count: the JSON) starts and ends,
    from the section's start."""
    start = _COUNT.unpack_from(raw, _COUNT.size * (section + at))[0] if at else 0
    return start, _COUNT.unpack_from(raw, _COUNT.size * (1 + section + at))[0]


def _page(headers: pa.Array, resources: pa.Array) -> bytes:
    """A page of the rows' headers and JSON (binary arrays of one length)."""
    offsets = [_offsets(array) for array in (headers, resources)]
    return b"".join([_COUNT.pack(len(headers)), *((o[1:] - o[0]).astype(np.uint32).tobytes() for o in offsets),
                     *(memoryview(array.buffers()[2])[int(o[0]):int(o[-1])]
                       for array, o in zip((headers, resources), offsets, strict=True))])


def _offsets(array: pa.Array) -> np.ndarray:
    """Where each value of a binary array starts in its data, and where the last ends."""
    kind = np.int64 if pa.types.is_large_binary(array.type) else np.int32
    return np.frombuffer(array.buffers()[1], dtype=kind)[array.offset:array.offset + len(array) + 1]
