"""JSON text built a column at a time with Arrow compute: what the bulk renderers are made of.

A Template collects the pieces of one resource type's JSON (fixed text, string values, ready-made
JSON) and joins them for every row in one Arrow call. String values are written as JSON string
literals escaped exactly as orjson escapes them (`"` and `\\` with a backslash, control characters
as `\\n`, `\\u001f`, ...; everything else as UTF-8), so a bulk rendering equals `orjson.dumps` of
the readable dict rendering byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

QUOTE, BACKSLASH, FIRST_PRINTABLE = ord('"'), ord("\\"), 0x20


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def column(values: Iterable) -> pa.Array:
    return pa.array(values if isinstance(values, list) else list(values), pa.string())


def holds(values: pa.Array, quotes: bool = True) -> bool:
    """Whether any value may hold a control character (or, with `quotes`, a quote or a backslash): one
    scan of the column's text buffer (which may run past a sliced column's values, so a find there
    only costs the careful path)."""
    data = values.buffers()[2]
    if data is None:
        return False
    text = np.frombuffer(data, np.uint8)
    found = text < FIRST_PRINTABLE
    if quotes:
        found |= (text == QUOTE) | (text == BACKSLASH)
    return bool(found.any())


def escaped(values: pa.Array) -> pa.Array:
    """The values as they go between the quotes of a JSON string."""
    if not holds(values):
        return values
    if holds(values, quotes=False):
        # Control characters are rare enough to leave to orjson, value by value.
        return column(None if v is None else dumps(v)[1:-1] for v in values.to_pylist())
    return pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')


def join(*pieces) -> pa.Array:
    """Pieces (arrays, or text repeated on every row) joined end to end; null where any array piece is null."""
    return pc.binary_join_element_wise(*pieces, "")


class Template:
    """The JSON of every row, assembled piece by piece, then joined in one call."""

    def __init__(self) -> None:
        self.pieces: list = []

    def text(self, fixed: str) -> Template:
        if self.pieces and isinstance(self.pieces[-1], str):
            self.pieces[-1] += fixed
        else:
            self.pieces.append(fixed)
        return self

    def json(self, texts: pa.Array) -> Template:
        """Ready-made JSON per row (`null` where a row has none)."""
        self.pieces.append(pc.fill_null(texts, "null") if texts.null_count else texts)
        return self

    def string(self, values: pa.Array) -> Template:
        """A JSON string literal per row (`null` where a row has none, as orjson writes None)."""
        if values.null_count:
            return self.json(join('"', escaped(values), '"'))
        self.text('"')
        self.pieces.append(escaped(values))
        return self.text('"')

    def optional(self, *pieces) -> Template:
        """Pieces written only on rows where every array piece has a value (an element the dict rendering omits)."""
        self.pieces.append(pc.fill_null(join(*pieces), ""))
        return self

    def build(self) -> pa.Array:
        return join(*self.pieces)


def quoted(values: pa.Array) -> pa.Array:
    """Each value as a JSON string literal; nulls stay null (for `Template.optional`)."""
    return join('"', escaped(values), '"')


def reference(resource_type: str, ids: pa.Array) -> pa.Array:
    """`{"reference":"Type/id"}` per row; null where the id is null."""
    return join('{"reference":"', escaped(join(f"{resource_type}/", ids)), '"}')


def references(resource_type: str, lists: Sequence[tuple[str, ...]]) -> pa.Array:
    """`[{"reference":"Type/a"},{"reference":"Type/b"}]` per row, from each row's ids."""
    ids = pa.array(lists, pa.list_(pa.string()))
    per_row = pa.ListArray.from_arrays(ids.offsets, reference(resource_type, ids.flatten()))
    return join("[", pc.binary_join(per_row, ","), "]")


def string_lists(lists: Sequence[tuple[str, ...] | None]) -> pa.Array:
    """`["a","b"]` per row, from each row's strings; null where a row has None."""
    values = pa.array(lists, pa.list_(pa.string()))
    per_row = pa.ListArray.from_arrays(values.offsets, quoted(values.flatten()), mask=values.is_null())
    return join("[", pc.binary_join(per_row, ","), "]")


K = TypeVar("K")


def fragments(keys: Sequence[K], render: Callable[[K], object], key: Callable[[K], Hashable] | None = None) -> pa.Array:
    """`orjson.dumps(render(k))` per row, rendered once per distinct key (for values drawn from a few); null for None.

    `key` identifies equal keys cheaply (e.g. `id` for objects shared from a pool)."""
    ids = keys if key is None else list(map(key, keys))
    distinct = dict(zip(ids, keys, strict=True))
    texts = {k: None if value is None else dumps(render(value)) for k, value in distinct.items()}
    return column(list(map(texts.__getitem__, ids)))


def fragments_by_value(values: pa.Array, render: Callable[[str], object]) -> pa.Array:
    """`orjson.dumps(render(v))` per row of a text column, rendered once per distinct value; null for null."""
    coded = pc.dictionary_encode(values)
    return column(dumps(render(v)) for v in coded.dictionary.to_pylist()).take(coded.indices)


def lengths(texts: pa.Array) -> np.ndarray:
    """Each text's length in bytes."""
    return pc.binary_length(texts).to_numpy(zero_copy_only=False)


def ended(texts: pa.Array, end: str) -> pa.Buffer:
    """The texts, each followed by `end`, as one run of bytes."""
    if not len(texts):
        return pa.py_buffer(b"")
    joined = pc.binary_join_element_wise(texts, end, "")
    _, offsets, data = joined.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[joined.offset:joined.offset + len(joined) + 1]
    return data.slice(int(bounds[0]), int(bounds[-1] - bounds[0]))
