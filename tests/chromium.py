"""Headless Chromium for the browser tests: skipped where it is absent, except under ``CI=true``, where
``.ci/run`` installs it, so its absence there is a failure rather than a silent skip."""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from gpsynth.report.screenshot import find_chromium

CHROMIUM = find_chromium()
_ABSENT = "headless Chromium is not installed (Debian: apt-get install chromium)"

if os.environ.get("CI") == "true" and CHROMIUM is None:
    raise RuntimeError(f"{_ABSENT}; .ci/run installs it, so CI must have it")
requires_chromium = pytest.mark.skipif(CHROMIUM is None, reason=_ABSENT)


def dump_dom(url: str, wait_ms: int = 0, timeout: float = 60) -> str:
    """The DOM headless Chromium builds from `url`, after its scripts ran (and `wait_ms` of page time more)."""
    with tempfile.TemporaryDirectory(prefix="gpsynth-chromium-") as profile:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   f"--user-data-dir={profile}", *([f"--virtual-time-budget={wait_ms}"] if wait_ms else []),
                   "--dump-dom", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    return done.stdout


def png_pixels(png: Path) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scanline bytes of a PNG."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + length])
        at += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))
