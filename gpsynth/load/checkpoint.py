"""The checkpoint file: which resources of which load the server has confirmed, written atomically.

Each type's resources are numbered by their position in the source (0, 1, 2, …); the checkpoint keeps
the confirmed positions as ranges, so it does not depend on how the resources were bundled: a resumed
load may send bundles of another size. A bundle's positions are marked only after every entry came back
2xx. The file is replaced whole (write beside it, fsync, rename), so a load killed at any instant
leaves the previous or the next state, never half of one. On `--resume` the file must describe the
same load: same source content, server, FHIR version and types.
"""

from __future__ import annotations

import os
import tempfile
import time
from bisect import bisect_right
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson

from ..errors import GpsynthError

FORMAT = "gpsynth-load-checkpoint/2"
SAVE_INTERVAL = 0.2  # seconds; marks in between are saved with the next one or by flush()


@dataclass(frozen=True)
class LoadIdentity:
    """What makes two runs the same load: a position means the same resource in both."""

    source: str
    fingerprint: str
    server: str
    fhir_version: str
    keep_profiles: bool
    types: tuple[str, ...]

    def options(self) -> str:
        profiles = " --keep-profiles" if self.keep_profiles else ""
        return f"--fhir-version {self.fhir_version}{profiles} --only {','.join(self.types)}"


class Ranges:
    """A set of positions kept as sorted, disjoint, non-adjacent [first, last] ranges."""

    def __init__(self, ranges: list[list[int]] | None = None):
        self.ranges: list[list[int]] = []
        for first, last in ranges or ():
            self.add(first, last)

    def add(self, first: int, last: int) -> None:
        at = bisect_right(self.ranges, [first, last])
        # Merge with the ranges that touch or overlap [first, last] on either side.
        while at > 0 and self.ranges[at - 1][1] >= first - 1:
            at -= 1
            first, last = min(first, self.ranges[at][0]), max(last, self.ranges[at][1])
            del self.ranges[at]
        while at < len(self.ranges) and self.ranges[at][0] <= last + 1:
            last = max(last, self.ranges[at][1])
            del self.ranges[at]
        self.ranges.insert(at, [first, last])

    def __contains__(self, position: int) -> bool:
        at = bisect_right(self.ranges, [position, float("inf")])
        return at > 0 and self.ranges[at - 1][1] >= position

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges)


class Checkpoint:
    """Confirmed positions per type for one LoadIdentity, kept in `path`."""

    def __init__(self, path: Path, identity: LoadIdentity, done: dict[str, Ranges] | None = None):
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
            done = {t: Ranges(ranges) for t, ranges in data["done"].items()}
        except FileNotFoundError:
            raise GpsynthError(f"--resume: no checkpoint at {path}; start the load without --resume "
                               "(or pass --checkpoint FILE)") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GpsynthError(f"{path}: not a gpsynth load checkpoint ({exc}); start over without --resume") from None
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

    @staticmethod
    def confirmed_counts(path: Path) -> dict[str, int]:
        """Confirmed resources per type in a checkpoint file, read without checking whose it is (for a plan)."""
        try:
            data = orjson.loads(Path(path).read_bytes())
            return {t: len(Ranges(ranges)) for t, ranges in data["done"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def is_done(self, resource_type: str, position: int) -> bool:
        return position in self.done.get(resource_type, ())

    def confirmed(self, resource_type: str) -> int:
        return len(self.done.get(resource_type, ()))

    def mark(self, resource_type: str, first: int, count: int) -> None:
        """Positions first … first + count - 1 of `resource_type` are on the server."""
        self.done.setdefault(resource_type, Ranges()).add(first, first + count - 1)
        self.dirty = True
        if time.monotonic() - self.saved_at >= SAVE_INTERVAL:
            self.save()

    def flush(self) -> None:
        if self.dirty:
            self.save()

    def save(self) -> None:
        data = {"format": FORMAT, "identity": asdict(self.identity),
                "done": {t: ranges.ranges for t, ranges in self.done.items()}}
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
