"""Reference pages written from the code when the site is built: a page per command (from its click definition),
the commands' overview, the Python API (from `gpsynth`'s public names) and the scenario rules (from the scenario
models). A new command, public function or scenario key appears without editing a page."""

from __future__ import annotations

import html
import inspect
from typing import Any

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import gpsynth
from gpsynth import cli
from gpsynth.scenario_reference import rules_markdown

COMMANDS_PAGE = "reference/commands.md"
PYTHON_PAGE = "reference/python.md"
SCENARIO_PAGE = "reference/scenario.md"


def command_page(name: str) -> str:
    return f"reference/commands/{name}.md"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """The nav's "Commands" entry becomes the overview followed by a page per command."""
    pages: list[Any] = [COMMANDS_PAGE, *({f"gpsynth {name}": command_page(name)} for name in sorted(cli.main.commands))]

    def expand(items: list) -> list:
        expanded = []
        for item in items:
            if isinstance(item, dict):
                ((title, value),) = item.items()
                item = {title: pages if value == COMMANDS_PAGE else expand(value) if isinstance(value, list) else value}
            expanded.append(item)
        return expanded

    config.nav = expand(config.nav or [])
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = {COMMANDS_PAGE: commands_overview(), PYTHON_PAGE: python_api(), SCENARIO_PAGE: scenario_rules()}
    pages |= {command_page(name): command_reference(name) for name in cli.main.commands}
    for path, content in pages.items():
        files.append(File.generated(config, path, content=content))
    return files


def commands_overview() -> str:
    rows = "".join(f"| [`gpsynth {name}`](commands/{name}.md) | {cell(command.get_short_help_str(limit=300))} |\n"
                   for name, command in sorted(cli.main.commands.items()))
    return ("# Commands\n\nEvery command is a thin skin over a function of the [Python API](python.md); "
            "`gpsynth COMMAND --help` prints what each page here shows. A mistake in a command line is one "
            "`error: …` line and exit code 2.\n\n"
            f"| command | what it does |\n|---|---|\n{rows}")


def command_reference(name: str) -> str:
    command = cli.main.commands[name]
    ctx = click.Context(command, info_name=f"gpsynth {name}")
    options = "".join(f"| `{flags}` | {cell(help_text)} |\n" for flags, help_text in
                      (param.get_help_record(ctx) for param in command.get_params(ctx) if isinstance(param, click.Option))
                      if flags != "--help")
    page = [f"# gpsynth {name}\n", inspect.cleandoc(command.help or ""), f"```\n{command.get_usage(ctx)}\n```"]
    if options:
        page.append(f"| option | what it does |\n|---|---|\n{options}")
    if command.epilog:
        page.append("## Examples\n\n```\n" + command.epilog.replace("\b\n", "").replace("Examples:\n", "").rstrip() + "\n```")
    return "\n\n".join(page) + "\n"


def cell(text: str) -> str:
    """Text safe in a Markdown table cell: no HTML, no column breaks, no emphasis from `*`."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|").replace("*", "\\*")


def python_api() -> str:
    """The public names of `gpsynth`, each documented from the module defining it, under the name to import."""
    blocks = "".join(
        f"::: gpsynth.{module}.{gpsynth.ALIASES.get(name, name)}\n    options:\n"
        f"      heading: \"gpsynth.{name}\"\n      toc_label: \"{name}\"\n\n"
        for name, module in gpsynth._EXPORTS.items())
    return "# Python API\n\n" + inspect.getdoc(gpsynth).split("\n\n")[0] + "\n\n" + blocks


def scenario_rules() -> str:
    return (rules_markdown() + "\n`gpsynth scenarios NAME` prints a preset's effective rules; "
            "[The realism model](../realism.md) says what the rules do and where their figures come from.\n")
