"""The gpsynth command line: thin click commands over the library."""

from __future__ import annotations

import sys
from datetime import date
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .dataset import FORMATS, OutputOptions, default_workers, generate
from .errors import GpsynthError
from .scenario import load_scenario, preset_names, preset_text

console = Console(stderr=True)


def friendly_errors(command):
    """Problems the user can fix become one line on stderr and exit code 2, never a traceback."""

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except GpsynthError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return run


def parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-25", param_hint="--as-of")


def parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(f"{value!r}: allowed formats are {', '.join(FORMATS)} (comma-separated)", param_hint="--format")
    return formats


@click.group()
@click.version_option(__version__, prog_name="gpsynth")
def main():
    """Generate linked, realistic, current GP Connect 1.2.7 appointment books."""


@main.command(name="generate", epilog="""\b
Examples:
  gpsynth generate --out out/
  gpsynth generate --scenario pcn --seed 7 --as-of 2026-03-23 --format json,ndjson --out pcn/
  gpsynth generate --scenario my-rules.yaml --format json --bundle transaction --bundle-size 500 --out tx/
""")
@click.option("--scenario", "scenario_name", metavar="NAME|FILE", help="A preset name (see `gpsynth scenarios`) or a YAML file. Default: built-in rules.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same scenario, seed and --as-of give byte-identical output.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Reference date the horizon and history are counted from. Default: today.")
@click.option("--format", "formats", default="ndjson", show_default=True, help=f"Comma-separated: {', '.join(FORMATS)}.")
@click.option("--bundle", "bundle_kind", type=click.Choice(["collection", "transaction"]), default="collection", show_default=True,
              help="json format: a collection Bundle per practice, or transaction Bundles of PUTs.")
@click.option("--bundle-size", type=click.IntRange(min=1), default=1000, show_default=True, help="Most entries per transaction Bundle.")
@click.option("--max-file-mb", type=click.IntRange(min=1), default=1024, show_default=True, help="Split NDJSON files past this size.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes generating practices in parallel. Default: cores.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder (written atomically).")
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it already has content.")
@friendly_errors
def generate_command(scenario_name, seed, as_of, formats, bundle_kind, bundle_size, max_file_mb, workers, out, overwrite):
    """Generate a dataset into OUT."""
    scenario = load_scenario(scenario_name)
    options = OutputOptions(parse_formats(formats), bundle_kind, bundle_size, max_file_mb * 1024 * 1024)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"generating {scenario.name}", total=None)
        summary = generate(scenario, seed, parse_as_of(as_of), out, options, workers or default_workers(), overwrite,
                           on_shard=lambda done, total: progress.update(task, completed=done, total=total))
    table = Table(title=f"{scenario.name} → {out}  ({summary.seconds:.1f} s)")
    table.add_column("resource")
    table.add_column("count", justify="right")
    table.add_column("per second", justify="right")
    for resource_type, n in summary.counts.items():
        table.add_row(resource_type, f"{n:,}", f"{n / max(summary.seconds, 1e-9):,.0f}")
    table.add_row("total", f"{sum(summary.counts.values()):,}", f"{sum(summary.counts.values()) / max(summary.seconds, 1e-9):,.0f}")
    console.print(table)


@main.command(epilog="""\b
Examples:
  gpsynth scenarios              list the presets
  gpsynth scenarios pcn          print the pcn preset's rules
""")
@click.argument("name", required=False)
@friendly_errors
def scenarios(name):
    """List the scenario presets, or show one."""
    if name:
        if name not in preset_names():
            raise GpsynthError(f"no preset named {name!r}; presets: {', '.join(preset_names())}")
        click.echo(preset_text(name), nl=False)
        return
    for preset in preset_names():
        click.echo(f"{preset:24} {load_scenario(preset).description}")
