"""Atomic output folders: write beside the target, rename into place only when complete."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import GpsynthError


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
