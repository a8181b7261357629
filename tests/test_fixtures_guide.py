"""The fixtures guide's pytest plugin example, run as written: its ini block and its test file, in a separate pytest run."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guides" / "fixtures.md"


def test_the_guides_pytest_example_passes(pytester):
    fixtures = GUIDE.read_text(encoding="utf-8")
    ini = re.search(r"```ini\n(.*?)```", fixtures, re.DOTALL)[1]
    example = re.search(r"```python\n(# test_booking.py\n.*?)```", fixtures, re.DOTALL)[1]
    pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(test_booking=example)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)
