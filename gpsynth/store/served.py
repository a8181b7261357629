"""A store while `gpsynth serve` runs on it: the server's lock, how other commands reach it, and crash recovery.

A running sandbox keeps a folder beside its store (`gpsynth.duckdb.live/`) holding
- `lock`, which it holds with flock while it runs (the kernel lets go of it even after kill -9),
- `server.json`: its PID, URL and the loopback control port other gpsynth commands talk to,
- `journal/`: the changes it acknowledged since it last folded them into the store.

DuckDB lets one process write a database file, or several read it. A command that reads a served
store asks the server for a *lease*: the server folds its journal into the store, holds the store
read-only until the lease ends, and keeps acknowledging changes in its journal meanwhile. So the
command sees every change acknowledged before it started. A store whose server died still has its
journal; the next server or command that opens it folds the journal in first.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from ..errors import GpsynthError
from .journal import drop_journal, read_journal, segments
from .live_rows import decode_rows, fold_rows

LIVE_SUFFIX = ".live"
CONTROL_TIMEOUT = 600.0      # seconds a command waits for the server to fold its journal
START_WAIT = 10.0            # seconds to wait for a server that holds the lock to publish server.json


def live_folder(store: Path) -> Path:
    return store.with_name(store.name + LIVE_SUFFIX)


def journal_folder(store: Path) -> Path:
    return live_folder(store) / "journal"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    url: str
    control_port: int
    token: str

    def describe(self) -> str:
        return f"gpsynth serve (PID {self.pid}, {self.url})"


class ServerLock:
    """The one running server of a store. GpsynthError naming the running server when there is one already."""

    def __init__(self, store: Path):
        self.store = store
        folder = live_folder(store)
        try:
            folder.mkdir(exist_ok=True)
            self.fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise GpsynthError(f"{folder}: cannot create the sandbox's live folder beside the store: {exc.strerror}") from None
        for _ in range(10):       # a command checking for a server holds the lock for an instant
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:
            os.close(self.fd)
            running = server_info(store)
            who = running.describe() if running else "another gpsynth process"
            raise GpsynthError(f"{store}: already served by {who}; stop it first, or serve a copy of the store")
        self.token = secrets.token_hex(16)

    def publish(self, url: str, control_port: int) -> None:
        """Say where the server listens, for the other commands."""
        info = ServerInfo(os.getpid(), url, control_port, self.token)
        path = live_folder(self.store) / "server.json"
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(info), handle)
        temporary.replace(path)

    def release(self) -> None:
        (live_folder(self.store) / "server.json").unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def server_info(store: Path) -> ServerInfo | None:
    """The running server of `store`, or None when none runs."""
    lock = live_folder(store) / "lock"
    if not lock.exists():
        return None
    fd = os.open(lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _published(store)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _published(store: Path) -> ServerInfo | None:
    path = live_folder(store) / "server.json"
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        try:
            return ServerInfo(**json.loads(path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            time.sleep(0.05)       # the server is starting, or stopping
    return None


def ask_server(info: ServerInfo, command: str) -> tuple[socket.socket, str]:
    """Send one control command; the open connection and the server's one-line answer (after `ok `)."""
    try:
        sock = socket.create_connection(("127.0.0.1", info.control_port), timeout=CONTROL_TIMEOUT)
        sock.sendall(f"{info.token} {command}\n".encode())
        answer = sock.makefile("r", encoding="utf-8").readline().strip()
    except OSError as exc:
        raise GpsynthError(f"cannot reach {info.describe()}: {exc.strerror or exc}") from None
    if not answer.startswith("ok"):
        sock.close()
        raise GpsynthError(f"{info.describe()}: {answer.removeprefix('error: ') or 'closed the connection'}")
    return sock, answer[3:]


def reading_lease(store: Path, read_only: bool = True) -> socket.socket | None:
    """Make the store ready to open: for reading, a lease from its running server (close the socket to end it), or
    None; for writing, GpsynthError naming the running server. With no server running, a journal left by one that
    died is folded into the store first."""
    info = server_info(store)
    if info is None:
        if segments(journal_folder(store)):
            recover(store)
        return None
    if not read_only:
        raise GpsynthError(f"{store}: served by {info.describe()}, which alone may change it; stop it first")
    sock, _ = ask_server(info, "lease")
    return sock


def recover(store: Path) -> int:
    """Fold a journal left behind into the store, under the server lock; the changes folded."""
    lock = ServerLock(store)
    try:
        return fold_journal(store)
    finally:
        lock.release()


def fold_journal(store: Path) -> int:
    """Fold every journal record into the store and delete the journal (the server lock must be held)."""
    folder = journal_folder(store)
    rows = [row for record in read_journal(folder) for row in decode_rows(record)]
    if rows:
        try:
            con = duckdb.connect(str(store))
        except duckdb.Error as exc:
            raise GpsynthError(f"{store}: cannot fold the journal of the last run into the store: "
                               f"{str(exc).splitlines()[0]}") from None
        try:
            con.execute("BEGIN TRANSACTION").fetchall()
            fold_rows(con, rows)
            con.execute("COMMIT").fetchall()
            con.execute("CHECKPOINT").fetchall()
        finally:
            con.close()
    drop_journal(folder)
    return len(rows)
