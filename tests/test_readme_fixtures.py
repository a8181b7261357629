"""The README's pytest plugin example, run as written: its ini block and its test file, in a separate pytest run."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_readme_pytest_example_passes(pytester):
    fixtures = section("Fixtures for your tests")
    ini = re.search(r"```ini\n(.*?)```", fixtures, re.DOTALL)[1]
    example = re.search(r"```python\n(# test_booking.py\n.*?)```", fixtures, re.DOTALL)[1]
    pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(test_booking=example)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)
