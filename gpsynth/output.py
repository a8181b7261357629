"""Output folders that appear whole or not at all: a local folder, or any fsspec URL.

A local folder is written beside its target and renamed into place when complete. A URL
(s3://, gs://, abfs://, memory://, ... with the matching fsspec driver installed) is staged in a
local temporary folder, uploaded beside the target and moved into place when complete; or, for a
cluster whose workers write their own files, written in place at `<url>.partial` and moved from there.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .destination import Destination
from .errors import GpsynthError


def is_url(target: str | Path) -> bool:
    return "://" in str(target)


@contextmanager
def output_folder(target: str | Path, overwrite: bool = False):
    """Yield a local folder whose content becomes `target` if the block succeeds."""
    if not is_url(target):
        with atomic_folder(Path(target), overwrite) as folder:
            yield folder
        return
    fs, path = remote_target(str(target), overwrite)
    with tempfile.TemporaryDirectory(prefix="gpsynth-") as staging:
        yield Path(staging)
        upload(fs, Path(staging), path)


def remote_target(url: str, overwrite: bool):
    try:
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise GpsynthError(f"{url}: cannot write there ({exc}); install the fsspec driver for this URL") from None
    if fs.exists(path) and fs.ls(path) and not overwrite:
        raise GpsynthError(f"{url}: the output folder exists and is not empty; choose another --out or pass --overwrite")
    return fs, path


@contextmanager
def shared_folder(target: str | Path, overwrite: bool = False):
    """Yield a Destination that processes on other machines can write to, whose content becomes `target`.

    A local path must be on a filesystem they share; a URL is written at `<url>.partial`."""
    if not is_url(target):
        with atomic_folder(Path(target), overwrite) as folder:
            yield Destination.local(folder)
        return
    fs, path = remote_target(str(target), overwrite)
    partial = fresh_partial(fs, path)
    try:
        yield Destination(partial, fs)
    except BaseException:
        if fs.exists(partial):
            fs.rm(partial, recursive=True)
        raise
    move_into_place(fs, partial, path)


def fresh_partial(fs, path: str) -> str:
    partial = f"{path.rstrip('/')}.partial"
    if fs.exists(partial):
        fs.rm(partial, recursive=True)
    return partial


def upload(fs, staging: Path, path: str) -> None:
    partial = fresh_partial(fs, path)
    fs.put(f"{staging}/", partial, recursive=True)
    move_into_place(fs, partial, path)


def move_into_place(fs, partial: str, path: str) -> None:
    if fs.exists(path):
        fs.rm(path, recursive=True)
    fs.mv(partial, path, recursive=True)


@contextmanager
def atomic_folder(target: Path, overwrite: bool = False):
    """Yield a temporary folder that becomes `target` if the block succeeds, and vanishes if not."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not overwrite:
        raise GpsynthError(f"{target}: the output folder exists and is not empty; choose another --out or pass --overwrite")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        target.rename(retired / target.name)
        work.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        work.rename(target)
    target.chmod(0o755)
