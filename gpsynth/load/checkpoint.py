"""The checkpoint file: which bundles of which load the server has confirmed, written atomically.

A bundle is marked only after every entry came back 2xx. The file is replaced whole (write beside it,
fsync, rename), so a load killed at any instant leaves the previous or the next state, never half of
one. On `--resume` the file must describe the same load: same source content, server and bundling.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson

from ..errors import GpsynthError

FORMAT = "gpsynth-load-checkpoint/1"
SAVE_INTERVAL = 0.2  # seconds; marks in between are saved with the next one or by flush()


@dataclass(frozen=True)
class LoadIdentity:
    """What makes two runs the same load: a bundle index means the same resources in both."""

    source: str
    fingerprint: str
    server: str
    fhir_version: str
    keep_profiles: bool
    bundle_size: int
    types: tuple[str, ...]

    def options(self) -> str:
        profiles = " --keep-profiles" if self.keep_profiles else ""
        return f"--bundle-size {self.bundle_size} --fhir-version {self.fhir_version}{profiles} --only {','.join(self.types)}"


def _ranges(indexes: set[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for i in sorted(indexes):
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


class Checkpoint:
    """Done bundles per type for one LoadIdentity, kept in `path`."""

    def __init__(self, path: Path, identity: LoadIdentity, done: dict[str, set[int]] | None = None):
        self.path, self.identity = Path(path), identity
        self.done = done or {}
        self.dirty, self.saved_at = False, 0.0

    @classmethod
    def resume(cls, path: Path, identity: LoadIdentity) -> Checkpoint:
        path = Path(path)
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {FORMAT}")
            saved = LoadIdentity(**{**data["identity"], "types": tuple(data["identity"]["types"])})
            done = {t: {i for lo, hi in ranges for i in range(lo, hi + 1)} for t, ranges in data["done"].items()}
        except FileNotFoundError:
            raise GpsynthError(f"--resume: no checkpoint at {path}; start the load without --resume (or pass --checkpoint FILE)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GpsynthError(f"{path}: not a gpsynth load checkpoint ({exc}); start over without --resume")
        if saved.fingerprint != identity.fingerprint:
            raise GpsynthError(f"--resume: {path} is for a different source: {saved.source}, not {identity.source}; "
                               "start over without --resume, or pass that source")
        if saved.server != identity.server:
            raise GpsynthError(f"--resume: {path} is for server {saved.server}, not {identity.server}; "
                               "start over without --resume, or pass that --server")
        if replace(saved, source=identity.source) != identity:  # the same content under another path is the same source
            raise GpsynthError(f"--resume: {path} was written with {saved.options()}, not {identity.options()}; "
                               "resume with the same options, or start over without --resume")
        return cls(path, identity, done)

    def is_done(self, resource_type: str, index: int) -> bool:
        return index in self.done.get(resource_type, ())

    def mark(self, resource_type: str, index: int) -> None:
        self.done.setdefault(resource_type, set()).add(index)
        self.dirty = True
        if time.monotonic() - self.saved_at >= SAVE_INTERVAL:
            self.save()

    def flush(self) -> None:
        if self.dirty:
            self.save()

    def save(self) -> None:
        data = {"format": FORMAT, "identity": asdict(self.identity),
                "done": {t: _ranges(indexes) for t, indexes in self.done.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile("wb", dir=self.path.parent, prefix=f".{self.path.name}.", delete=False)
        try:
            with handle:
                handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, self.path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        self.dirty, self.saved_at = False, time.monotonic()
