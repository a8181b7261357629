"""Output folders that appear whole or not at all: a local folder, or any fsspec URL.

A local folder is written beside its target (`.NAME.PID.XXXX.partial`) and renamed into place when
complete; the partial folders of a run that was killed are removed by the next run to the same target.
A URL (s3://, gs://, abfs://, memory://, ... with the matching fsspec driver installed) is staged in a
local temporary folder, uploaded beside the target and moved into place when complete; or, for a
cluster whose workers write their own files, written in place at `<url>.partial` and moved from there.

Every folder gpsynth writes holds a marker file, and `overwrite` replaces only a folder that has one:
never the current folder or one holding it, never someone else's files.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .destination import Destination
from .errors import GpsynthError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

MARKER = ".gpsynth-output"
MARKER_TEXT = "Written by gpsynth: `--overwrite` may replace this folder whole.\n"
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.(?:partial|old)$")


def is_url(target: str | Path) -> bool:
    return "://" in str(target)


@contextmanager
def output_folder(target: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a local folder whose content becomes `target` if the block succeeds."""
    if not is_url(target):
        with atomic_folder(Path(target), overwrite) as folder:
            yield folder
        return
    fs, path = remote_target(str(target), overwrite)
    with tempfile.TemporaryDirectory(prefix="gpsynth-") as staging:
        (Path(staging) / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        yield Path(staging)
        upload(fs, Path(staging), path)


def remote_target(url: str, overwrite: bool) -> tuple[AbstractFileSystem, str]:
    try:
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise GpsynthError(f"{url}: cannot write there ({exc}); install the fsspec driver for this URL") from None
    if fs.exists(path) and fs.ls(path):
        if not overwrite:
            raise GpsynthError(f"{url}: the output folder exists and is not empty; choose another --out or pass --overwrite")
        if not fs.exists(f"{path.rstrip('/')}/{MARKER}"):
            raise GpsynthError(f"{url}: --overwrite replaces only a folder gpsynth wrote, and this one has no {MARKER}; "
                               "choose another --out")
    return fs, path


@contextmanager
def shared_folder(target: str | Path, overwrite: bool = False) -> Iterator[Destination]:
    """Yield a Destination that processes on other machines can write to, whose content becomes `target`.

    A local path must be on a filesystem they share; a URL is written at `<url>.partial`."""
    if not is_url(target):
        with atomic_folder(Path(target), overwrite) as folder:
            yield Destination.local(folder)
        return
    fs, path = remote_target(str(target), overwrite)
    partial = fresh_partial(fs, path)
    destination = Destination(partial, fs)
    try:
        with destination.open(MARKER) as handle:
            handle.write(MARKER_TEXT.encode("utf-8"))
        yield destination
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


def check_replaceable(target: Path, overwrite: bool) -> None:
    """GpsynthError unless `target` may become gpsynth's output: absent, an empty folder, or (with
    `overwrite`) a folder gpsynth wrote that does not hold the current folder."""
    if not target.exists():
        return
    if not target.is_dir():
        raise GpsynthError(f"{target}: exists and is not a folder; choose another --out")
    if Path.cwd().is_relative_to(target.resolve()):
        raise GpsynthError(f"{target}: is the current folder or holds it; choose a new folder for --out")
    if not any(target.iterdir()):
        return
    if not overwrite:
        raise GpsynthError(f"{target}: the output folder exists and is not empty; choose another --out or pass --overwrite")
    if not (target / MARKER).is_file():
        raise GpsynthError(f"{target}: --overwrite replaces only a folder gpsynth wrote, and this one has no {MARKER}; "
                           "choose another --out")


def remove_leftovers(parent: Path, name: str) -> None:
    """Remove the partial and retired files and folders that killed runs writing `parent/name` left behind."""
    for path in parent.glob(f".{glob.escape(name)}.*"):
        found = LEFTOVER.match(path.name)
        if found and found["name"] == name and not process_alive(int(found["pid"])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_not(target: Path, exc: OSError) -> str:
    """Why a folder could not be made at `target`: a file in the way, or what the system said."""
    for ancestor in target.parents:
        if ancestor.exists():
            return (exc.strerror or str(exc)) if ancestor.is_dir() else f"{ancestor} is a file, not a folder"
    return exc.strerror or str(exc)


def work_folder(target: Path, kind: str) -> Path:
    """A new hidden folder beside `target`, named after it and this process."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=f".{kind}", dir=target.parent))


@contextmanager
def atomic_folder(target: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes `target` if the block succeeds, and vanishes if not."""
    target = Path(target)
    check_replaceable(target, overwrite)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target.parent, target.name)
        work = work_folder(target, "partial")
    except OSError as exc:
        raise GpsynthError(f"{target}: cannot create the output folder: {why_not(target, exc)}; choose another --out") from None
    try:
        (work / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if target.exists():
        retired = work_folder(target, "old")
        target.rename(retired / target.name)
        work.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        work.rename(target)
    target.chmod(0o755)


def make_parent(target: Path) -> None:
    """Create the folder a file `target` goes into; GpsynthError in one line when it cannot be made."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GpsynthError(f"{target}: cannot create its folder: {why_not(target, exc)}; choose another path") from None


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary file path that replaces `target` if the block succeeds, and vanishes if not."""
    target = Path(target)
    if target.is_dir():
        raise GpsynthError(f"{target}: is a folder; --out takes a file name, e.g. {target / 'report.html'}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target.parent, target.name)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise GpsynthError(f"{target}: cannot write the file: {why_not(target, exc)}; choose another --out") from None
    os.close(fd)
    work = Path(name)
    try:
        yield work
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    work.chmod(0o644)
    work.replace(target)
