"""Headless Chromium for the browser tests: skipped where it is absent, except under ``CI=true``, where
``.ci/run`` installs it, so its absence there is a failure rather than a silent skip."""

from __future__ import annotations

import os

import pytest

from gpsynth.report.screenshot import find_chromium

CHROMIUM = find_chromium()
_ABSENT = "headless Chromium is not installed (Debian: apt-get install chromium)"

if os.environ.get("CI") == "true" and CHROMIUM is None:
    raise RuntimeError(f"{_ABSENT}; .ci/run installs it, so CI must have it")
requires_chromium = pytest.mark.skipif(CHROMIUM is None, reason=_ABSENT)
