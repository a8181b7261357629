"""The walk-throughs run as written: in the README's tour and in each documentation page, every block marked
`<!-- walkthrough -->`, top to bottom, in one empty folder per page. A `bash` or `python` block runs whole; a
`console` block runs its `$ ` lines and must print what it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
MARKED = re.compile(r"^<!-- walkthrough -->\n```(bash|console|python)\n(.*?)^```$", re.M | re.S)


def marked_blocks(text: str) -> list[tuple[str, str]]:
    return MARKED.findall(text)


def console_steps(body: str) -> list[tuple[str, str]]:
    """Each `$ command` of a console block with the output shown under it."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return [(command, "".join(f"{line}\n" for line in shown)) for command, shown in steps]


def run(script: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)


def test_the_tour_and_the_guides_mark_their_walkthrough_blocks():
    tour = [kind for kind, _ in marked_blocks(README.read_text(encoding="utf-8"))]
    assert len(tour) >= 3 and {"bash", "console", "python"} <= set(tour)
    guides = {page.name for page in PAGES if page.parent.name == "guides" and marked_blocks(page.read_text(encoding="utf-8"))}
    assert {"seed-a-test-environment.md", "load-testing.md", "test-your-consumer.md"} <= guides


@pytest.mark.parametrize("page", [page for page in PAGES if marked_blocks(page.read_text(encoding="utf-8"))],
                         ids=lambda page: str(page.relative_to(ROOT)))
def test_the_walkthrough_runs_as_written(page, tmp_path):
    for kind, body in marked_blocks(page.read_text(encoding="utf-8")):
        if kind in ("bash", "python"):
            done = run(body if kind == "bash" else f"python - <<'PYTHON'\n{body}PYTHON\n", tmp_path)
            assert done.returncode == 0, f"{body}\n{done.stderr}"
            continue
        for command, shown in console_steps(body):
            done = run(command, tmp_path)
            assert done.returncode == 0, f"{command}\n{done.stderr}"
            if shown:
                assert done.stdout == shown, command
