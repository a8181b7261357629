"""Ad hoc SQL over a store, read-only, for looking inside without writing Python.

Read-only means more than a read-only database: the connection may not touch any other file (no
`COPY … TO`, `read_text`, `read_csv`, `ATTACH`, `INSTALL`) and its configuration is locked, so a query
cannot turn that back on. Results print as a table, or as CSV, JSON or Markdown for scripts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import orjson

from ..errors import GpsynthError
from .database import first_line, open_store


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple]
    more: bool                         # rows beyond the limit were left out


OUTPUT_FORMATS = ("table", "csv", "json", "markdown")
LOCK_DOWN = ("SET enable_external_access = false", "SET lock_configuration = true")


def run_query(store: Path, sql: str, limit: int = 100) -> QueryResult:
    """The first `limit` rows of `sql` on the store; GpsynthError with DuckDB's first line when it fails."""
    con = open_store(store)
    try:
        for statement in LOCK_DOWN:
            con.execute(statement).fetchall()
        result = con.execute(sql)
        columns = tuple(d[0] for d in result.description or ())
        rows = result.fetchmany(limit + 1) if columns else []
    except duckdb.Error as exc:
        raise GpsynthError(f"query failed: {first_line(exc)}") from None
    finally:
        con.close()
    return QueryResult(columns, rows[:limit], len(rows) > limit)


def cell_text(value) -> str:
    """A value as plain text: lists in brackets, timestamps with a space before the time."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cell_text(v) for v in value) + "]"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([["" if v is None else cell_text(v) for v in row] for row in result.rows])
    return out.getvalue()


def as_json(result: QueryResult) -> str:
    """One JSON array of objects, column name to value (numbers, strings, lists, null; times in ISO 8601)."""
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return orjson.dumps(rows, default=str, option=orjson.OPT_INDENT_2).decode() + "\n"


def as_markdown(result: QueryResult) -> str:
    def cell(value) -> str:
        return "NULL" if value is None else cell_text(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


TEXT_FORMATS = {"csv": as_csv, "json": as_json, "markdown": as_markdown}
