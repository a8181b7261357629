"""The documentation site builds with `mkdocs build --strict` (no broken link, no missing page), and its reference
pages are generated from the code: every command and option, every public name, every scenario rule."""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

import gpsynth
from gpsynth import cli

ROOT = Path(__file__).resolve().parent.parent


def text(page: Path) -> str:
    """A built page's article as plain text."""
    body = page.read_text(encoding="utf-8")
    article = body[body.index("<article"):body.index("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", "", article))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    return site


def test_every_command_has_a_page_with_every_option(site):
    overview = text(site / "reference" / "commands" / "index.html")
    for name, command in cli.main.commands.items():
        assert f"gpsynth {name}" in overview
        page = text(site / "reference" / "commands" / name / "index.html")
        assert f"Usage: gpsynth {name}" in page
        for param in command.params:
            if isinstance(param, click.Option):
                assert all(flag in page for flag in param.opts), (name, param.opts)


def test_every_public_name_is_documented_with_its_docstring(site):
    page = " ".join(text(site / "reference" / "python" / "index.html").split())
    for name in gpsynth._EXPORTS:
        assert f"gpsynth.{name}" in page, name
        value = getattr(gpsynth, name)
        doc = inspect.cleandoc(value.__doc__ or "")       # its own docstring: mkdocstrings shows no inherited one
        if doc and not doc.startswith(f"{value.__name__}("):     # a dataclass's generated signature is no docstring
            assert doc.split("\n")[0].replace("`", "") in page, name


def test_the_scenario_reference_is_the_models_own(site):
    from gpsynth.scenario_reference import rules_markdown

    page = text(site / "reference" / "scenario" / "index.html")
    keys = re.findall(r"`([a-z_][a-z_.\[\]0-9]*)`", rules_markdown())
    assert keys and all(key in page for key in keys)


def test_included_text_is_the_readme_tour_and_the_example_file(site):
    index = text(site / "index.html")
    assert "gpsynth validate demo/" in index and "--8<--" not in index
    guide = text(site / "guides" / "test-your-consumer" / "index.html")
    assert "class GpConnectHeaders(requests.auth.AuthBase):" in guide
    assert ".include(\"Slot\", \"schedule\").fetch_raw())" in guide and "def gp_connect(" in guide


def test_the_readme_links_point_at_files_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [target for target in re.findall(r"\]\(([^)#]+)\)", readme) if "://" not in target]
    assert len(targets) > 10
    assert [target for target in targets if not (ROOT / target).exists()] == []


def test_the_scenario_example_on_the_realism_page_is_a_valid_scenario():
    page = (ROOT / "docs" / "realism.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```yaml\n(.*?)```", page, re.S)
    scenario = gpsynth.parse_scenario(yaml.safe_load(example), "docs/realism.md")
    assert scenario.name == "my-network" and scenario.practices.count == 3


def test_the_chaos_rules_in_the_consumer_guide_are_valid_rules():
    from gpsynth.sandbox.conformance.chaos import parse_chaos_text

    page = (ROOT / "docs" / "guides" / "test-your-consumer.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```yaml\n(.*?)```", page, re.S)
    rules = parse_chaos_text(example, "docs/guides/test-your-consumer.md")
    assert rules.seed == 7 and len(rules.rules) == 5
