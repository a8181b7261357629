"""A store file's database identifier, made from its dataset so the same dataset gives the same bytes.

DuckDB writes 16 random bytes into a new file's main header (its database identifier, which a
write-ahead log is matched against). Everything else in a store written the same way is the same
from run to run, so gpsynth replaces those bytes with a digest of the dataset (scenario rules, seed,
reference date, gpsynth version) and recomputes the header checksum. The header layout is checked
first, against DuckDB's own checksum; a file laid out any other way is left as it is.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from ..info import DatasetInfo

HEADER_SIZE = 4096                 # the main header block: checksum (8 bytes), then the header itself
MAGIC = slice(8, 12)
IDENTIFIER = slice(124, 140)       # after version, flags and the library version strings
CHECKSUM_FACTOR = 0xBF58476D1CE4E5B9
WORD = (1 << 64) - 1


def header_checksum(block: bytes | bytearray) -> int:
    """DuckDB's block checksum over whole 8-byte words: 5381, xor each word times a fixed odd constant."""
    result = 5381
    for (word,) in struct.iter_unpack("<Q", block):
        result ^= (word * CHECKSUM_FACTOR) & WORD
    return result


def dataset_identifier(info: DatasetInfo) -> bytes:
    digest = hashlib.sha256()
    for value in (info.version, info.scenario_name, info.rules_yaml, str(info.seed), info.as_of.isoformat()):
        digest.update(value.encode() + b"\0")
    return digest.digest()[:IDENTIFIER.stop - IDENTIFIER.start]


def stamp_identifier(path: Path, info: DatasetInfo) -> bool:
    """Give the closed store at `path` the dataset's identifier; False if its header is not the layout known here."""
    with open(path, "r+b") as handle:
        header = bytearray(handle.read(HEADER_SIZE))
        if len(header) < HEADER_SIZE or header[MAGIC] != b"DUCK":
            return False
        if struct.unpack_from("<Q", header)[0] != header_checksum(header[8:]):
            return False
        header[IDENTIFIER] = dataset_identifier(info)
        struct.pack_into("<Q", header, 0, header_checksum(header[8:]))
        handle.seek(0)
        handle.write(header)
    return True
