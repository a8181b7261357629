"""Numbered ids (`<prefix><n>`, e.g. A20047-A12): the highest number a table holds, to number new rows on."""

from __future__ import annotations

import re

import duckdb

from .resources import resource_table


def highest_number(con: duckdb.DuckDBPyConnection, resource_type: str, prefix: str) -> int:
    """The highest n of the ids `<prefix><n>` in the resource type's table; 0 when there is none."""
    pattern = "^" + re.escape(prefix) + r"(\d+)$"
    found = con.execute(f"SELECT max(CAST(regexp_extract(id, ?, 1) AS BIGINT)) FROM {resource_table(resource_type).name} "
                        "WHERE regexp_full_match(id, ?)", [pattern, pattern]).fetchall()
    return found[0][0] or 0
