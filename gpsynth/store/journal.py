"""The journal: every change a running sandbox acknowledges, appended to disk before it is acknowledged.

A journal is a folder of numbered segment files. A record is framed as its length, its CRC-32 and
its bytes, so a record cut short by a crash (or a bit flipped on disk) is recognised and ignored,
with everything after it: a record is only ever acknowledged once it and every record before it
are on disk. Records are appended in batches, one `fdatasync` per batch (group commit). The
sandbox folds the records into the store at a checkpoint and then deletes the segments it folded.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import GpsynthError

HEADER = struct.Struct("<II")     # length, CRC-32 of the record bytes
SEGMENT_SUFFIX = ".journal"


def frame(record: bytes) -> bytes:
    return HEADER.pack(len(record), zlib.crc32(record)) + record


def segment_number(path: Path) -> int:
    return int(path.name.removesuffix(SEGMENT_SUFFIX))


def segments(folder: Path) -> list[Path]:
    """The journal's segments, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.endswith(SEGMENT_SUFFIX) and p.name[:-len(SEGMENT_SUFFIX)].isdigit()]
    return sorted(found, key=segment_number)


def read_segment(path: Path) -> Iterator[bytes]:
    """The whole records of one segment, in order, up to the first torn or damaged one."""
    data = path.read_bytes()
    at = 0
    while at + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, at)
        record = data[at + HEADER.size: at + HEADER.size + length]
        if len(record) != length or zlib.crc32(record) != crc:
            return
        yield record
        at += HEADER.size + length


def read_journal(folder: Path) -> Iterator[bytes]:
    """Every whole record of every segment, oldest first."""
    for path in segments(folder):
        yield from read_segment(path)


class JournalWriter:
    """Appends batches of records to the newest segment; `rotate` starts a new one. Not thread-safe: one caller."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        existing = segments(folder)
        self.number = segment_number(existing[-1]) + 1 if existing else 1
        self.fd = self._open(self.number)

    def _open(self, number: int) -> int:
        path = self.folder / f"{number:08d}{SEGMENT_SUFFIX}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise GpsynthError(f"{path}: cannot write the journal: {exc.strerror}") from None
        _sync_folder(self.folder)   # the new segment's name must survive a crash too
        return fd

    def append(self, records: list[bytes]) -> None:
        """Write the records and wait until they are on disk."""
        data = b"".join(frame(record) for record in records)
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        os.fdatasync(self.fd)

    def rotate(self) -> int:
        """Start a new segment; returns the number of the last segment that will receive no more records."""
        closed = self.number
        os.close(self.fd)
        self.number += 1
        self.fd = self._open(self.number)
        return closed

    def drop_through(self, number: int) -> None:
        """Delete the segments up to and including `number` (their records are in the store now)."""
        for path in segments(self.folder):
            if segment_number(path) <= number:
                path.unlink()

    def close(self) -> None:
        os.close(self.fd)


def drop_journal(folder: Path) -> None:
    """Delete every segment (after they were all folded into the store)."""
    for path in segments(folder):
        path.unlink()


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
