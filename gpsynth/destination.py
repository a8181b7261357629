"""Where a dataset's files are written: a local folder, or a folder on an fsspec filesystem.

A Destination pickles, so the process that generates a part of the dataset (a local worker or a
Dask worker) opens its own files there; only the names and counts travel back.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


@dataclass(frozen=True)
class Destination:
    root: str
    fs: AbstractFileSystem | None = None            # None for a local folder

    @classmethod
    def local(cls, folder: Path | str) -> Destination:
        return cls(str(folder))

    @property
    def local_root(self) -> Path | None:
        return Path(self.root) if self.fs is None else None

    def path(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}"

    def open(self, name: str, mode: str = "wb") -> IO[bytes]:
        """A file under the root, its folders made as needed."""
        path = self.path(name)
        if self.fs is None:
            if "w" in mode:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            return open(path, mode)
        if "w" in mode:
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        return self.fs.open(path, mode)

    def put(self, local_file: Path, name: str) -> None:
        """Place a finished local file under the root (moved when local, uploaded otherwise)."""
        if self.fs is None:
            target = Path(self.path(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(local_file, target)
        else:
            self.fs.put(str(local_file), self.path(name))

    def remove(self, name: str) -> None:
        """Delete a folder under the root, and everything in it."""
        if self.fs is None:
            shutil.rmtree(self.path(name), ignore_errors=True)
        elif self.fs.exists(self.path(name)):
            self.fs.rm(self.path(name), recursive=True)
