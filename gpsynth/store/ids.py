"""Numbered ids (`<prefix><n>`, e.g. A20047-A12): the highest numbers a table holds, to number new rows on."""

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


def highest_numbers(con: duckdb.DuckDBPyConnection, resource_type: str) -> dict[str, int]:
    """{prefix: highest n} over the ids `<prefix><n>` (n the trailing digits) of a resource type's table."""
    table = resource_table(resource_type).name
    return dict(con.execute(f"SELECT stem, max(CAST(substr(id, length(stem) + 1) AS BIGINT)) "
                            f"FROM (SELECT id, rtrim(id, '0123456789') AS stem FROM {table}) WHERE stem <> id "
                            "GROUP BY stem").fetchall())
