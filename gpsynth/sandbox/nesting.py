"""How deep a parsed request may nest: a GP Connect resource needs fewer than 20 levels, and a deeper
body or JWT claim (an extension chain hundreds deep) would exhaust the recursion of every check after it."""

from __future__ import annotations

from collections.abc import Iterable

MAX_NESTING = 64


def too_deep(value: object, limit: int = MAX_NESTING) -> bool:
    """Whether JSON-shaped `value` nests objects and arrays more than `limit` levels deep (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_too_deep(raw: bytes, value: object, limit: int = MAX_NESTING) -> bool:
    """`too_deep` for `value` parsed from the JSON text `raw`, without walking it when `raw` holds too few
    opening brackets to nest that deep (each level opens one)."""
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False
    return too_deep(value, limit)
