"""Ad hoc SQL over a store, read-only, for looking inside without writing Python."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import GpsynthError
from .database import first_line, open_store


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple]
    more: bool                         # rows beyond the limit were left out


def run_query(store: Path, sql: str, limit: int = 100) -> QueryResult:
    con = open_store(store)
    try:
        result = con.execute(sql)
        columns = tuple(d[0] for d in result.description or ())
        rows = result.fetchmany(limit + 1) if columns else []
    except duckdb.Error as exc:
        raise GpsynthError(f"query failed: {first_line(exc)}") from None
    finally:
        con.close()
    return QueryResult(columns, rows[:limit], len(rows) > limit)
