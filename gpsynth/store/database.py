"""Opening, checking and writing store files: the only place a DuckDB connection to a store is made."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_TYPES
from ..info import DatasetInfo
from .identity import stamp_identifier
from .rows import dataset_table, shard_table
from .served import reading_lease
from .schema import DATASET_TABLE, DEFAULT_STORE_NAME, SHARD_TABLE, STORE_FORMAT, schema_statements

DUCKDB_MAGIC = b"DUCK"          # bytes 8-11 of every DuckDB database file
CLINIC_TIME = "SET TimeZone = 'Europe/London'"   # instants read back as clinic wall-clock times
WRITER_MEMORY = "1GB"


@dataclass(frozen=True)
class StoreInfo:
    """The `dataset` row: what the store holds and how it was made."""

    store_format: int
    gpsynth_version: str
    scenario_name: str
    scenario_yaml: str
    seed: int
    as_of: date
    last_updated: str
    counts: dict[str, int]

    def dataset_info(self) -> DatasetInfo:
        return DatasetInfo(self.scenario_name, self.scenario_yaml, self.seed, self.as_of, self.last_updated,
                           self.gpsynth_version)


def store_file(store: Path | str) -> Path:
    """The store file `store` names: the file itself, or the one in the folder `gpsynth generate --out` wrote."""
    path = Path(store)
    found = path / DEFAULT_STORE_NAME if path.is_dir() else path
    if not found.is_file():
        raise GpsynthError(f"{path}: no such store; write one with `gpsynth generate --format duckdb`")
    return found


def open_store(path: Path | str, read_only: bool = True, *, own: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to a gpsynth store (a store file, or the folder holding one), after checking that it is
    one this version can read. Every command reads and writes stores through here.

    A store a `gpsynth serve` is running on is read under a lease from that server (see
    gpsynth.store.served), so the connection sees every change the server acknowledged before.
    `own`: the connection is the server's own (it holds the server lock; no lease).
    """
    path = store_file(path)
    with open(path, "rb") as handle:
        if handle.read(12)[8:] != DUCKDB_MAGIC:
            raise GpsynthError(f"{path}: not a gpsynth store (not a DuckDB database file)")
    lease = None if own else reading_lease(path, read_only)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if lease is not None:
            lease.close()
        raise GpsynthError(f"{path}: {_held_by(exc) or 'cannot open the store: ' + first_line(exc)}") from None
    if lease is not None:
        weakref.finalize(con, lease.close)     # the server may write the store again once this connection is gone
    try:
        store_format = read_store_format(con, path)
        if store_format != STORE_FORMAT:
            raise GpsynthError(f"{path}: store format {store_format} is not one this gpsynth reads (format {STORE_FORMAT}); "
                               "generate the store again with this version")
        con.execute(CLINIC_TIME).fetchall()
    except BaseException:
        con.close()
        raise
    return con


def read_store_format(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    found = con.sql("SELECT column_name FROM duckdb_columns() WHERE table_name = 'dataset' AND schema_name = 'main'").fetchall()
    if ("store_format",) not in found:
        raise GpsynthError(f"{path}: not a gpsynth store (a DuckDB database without a gpsynth `dataset` table)")
    rows = con.sql("SELECT store_format FROM dataset").fetchall()
    if len(rows) != 1:
        raise GpsynthError(f"{path}: not a gpsynth store (its `dataset` table has {len(rows)} rows, not 1)")
    return rows[0][0]


def _held_by(exc: duckdb.Error) -> str | None:
    """DuckDB's file-lock refusal in a user's words ("in use by … (PID n)"), or None for any other error."""
    found = re.search(r"Could not set lock on file .*?Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
    if found is None:
        return None
    program = Path(found[1]).name
    return (f"the store is in use by another program ({program}, PID {found[2]}; a running `gpsynth serve`?): "
            "stop it first, or work on a copy of the store")


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def store_info(con: duckdb.DuckDBPyConnection) -> StoreInfo:
    names = ", ".join(f'"{name}"' for name in DATASET_TABLE.column_names)
    row = dict(zip(DATASET_TABLE.column_names, con.sql(f"SELECT {names} FROM dataset").fetchall()[0], strict=True))
    return StoreInfo(**row)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything in the block is committed together, or not at all."""
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
    con.execute("COMMIT").fetchall()


class StoreWriter:
    """Writes a new store in a `.partial` folder beside its target and moves it into place when complete.

    Until `finish`, the target is untouched: a failed or interrupted write leaves any earlier store
    as it was (gpsynth generate writes inside an atomic output folder, which also clears the partial).
    Rows go in table by table, in output order; the same rows give a byte-identical file.
    """

    def __init__(self, target: Path, info: DatasetInfo):
        self.target, self.info = Path(target), info
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".partial", dir=self.target.parent))
        # A bounded buffer pool keeps memory flat however large the dataset; DuckDB writes the rest to the file.
        self.con = duckdb.connect(str(self.work / self.target.name), config={"memory_limit": WRITER_MEMORY})
        for statement in schema_statements():
            self.con.execute(statement).fetchall()
        self.con.execute("BEGIN TRANSACTION").fetchall()

    def insert(self, table_name: str, table: pa.Table) -> None:
        self.con.from_arrow(table).insert_into(table_name)

    def finish(self, counts: dict[str, int] | None = None, shards: Sequence[tuple[int, str]] = ()) -> dict[str, int]:
        """Record the shards and the dataset row (`counts`: resources by type as generated), make the file
        durable and move it into place; return the counts."""
        counts = {t: (counts or {}).get(t, 0) for t in RESOURCE_TYPES if (counts or {}).get(t)}
        self.insert(SHARD_TABLE.name, shard_table(list(shards)))
        self.insert(DATASET_TABLE.name, dataset_table(self.info, counts))
        self.con.execute("COMMIT").fetchall()
        self.con.execute("CHECKPOINT").fetchall()
        self.con.close()
        stamp_identifier(self.work / self.target.name, self.info)
        os.replace(self.work / self.target.name, self.target)
        shutil.rmtree(self.work, ignore_errors=True)
        return counts

    def abandon(self) -> None:
        """Drop the unfinished store; the target stays as it was."""
        self.con.close()
        shutil.rmtree(self.work, ignore_errors=True)
