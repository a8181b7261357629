"""The contract every gpsynth command keeps, written once: its arguments and options, its progress
display, and how a problem ends it (`error: …` on one line, exit code 2).

- A STORE argument takes a store file or the folder `gpsynth generate --format duckdb --out` wrote it
  into; the commands open it with `gpsynth.store.open_store`, which names a missing store one way.
- An --out folder is written whole or not at all (gpsynth.output); --overwrite replaces only a folder
  gpsynth wrote.
- Long work shows a progress bar on a terminal and nothing otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .dataset import FORMATS
from .errors import GpsynthError
from .sinks.json_bundles import BUNDLE_KINDS, DEFAULT_BUNDLE_SIZE

console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


class OneLineErrors(click.Command):
    """A click command whose every failure is one `error: …` line and exit code 2: bad options and arguments
    (no usage block), problems the user can fix, and files that cannot be read or written."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> NoReturn:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            fail(exc.format_message())
        except GpsynthError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc))
        sys.exit(code if isinstance(code, int) else 0)


class Commands(OneLineErrors, click.Group):
    """The gpsynth command group, failing as OneLineErrors does."""


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-25", param_hint="--as-of") from None


def parse_formats(value: str, allowed: tuple[str, ...] = FORMATS) -> tuple[str, ...]:
    formats = tuple(part.strip() for part in value.split(",") if part.strip())
    if not formats or any(f not in allowed for f in formats):
        raise click.BadParameter(f"{value!r}: allowed formats are {', '.join(allowed)} (comma-separated)", param_hint="--format")
    return formats


def store_argument(command: F) -> F:
    """STORE: a store file, or the folder holding `gpsynth.duckdb`."""
    return click.argument("store", type=click.Path(path_type=Path), metavar="STORE")(command)


def out_folder_option(command: F) -> F:
    """--out FOLDER, written atomically, and --overwrite."""
    command = click.option("--overwrite", is_flag=True,
                           help="Replace the output folder if it has content; only a folder gpsynth wrote.")(command)
    return click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FOLDER",
                        help="Output folder, created if need be (written atomically).")(command)


def as_of_option(help: str) -> Callable[[F], F]:
    return click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=lambda ctx, param, value: parse_as_of(value),
                        help=f"{help} Default: today.")


def limit_option(default: int, noun: str) -> Callable[[F], F]:
    return click.option("--limit", type=click.IntRange(min=0), default=default, show_default=True, metavar="N",
                        help=f"Most {noun} to show.")


def file_format_options(allowed: tuple[str, ...]) -> Callable[[F], F]:
    """--format (comma-separated, parsed to a tuple), --bundle, --bundle-size and --max-file-mb, as the file sinks take them."""

    def decorate(command: F) -> F:
        for option in reversed((
            click.option("--format", "formats", default="ndjson", show_default=True, metavar="FORMATS",
                         callback=lambda ctx, param, value: parse_formats(value, allowed),
                         help=f"Comma-separated: {', '.join(allowed)}."),
            click.option("--bundle", "bundle_kind", type=click.Choice(BUNDLE_KINDS), default="collection", show_default=True,
                         help="json format: a collection Bundle per practice, or transaction Bundles of PUTs."),
            click.option("--bundle-size", type=click.IntRange(min=1), default=DEFAULT_BUNDLE_SIZE, show_default=True,
                         help="Most entries per transaction Bundle."),
            click.option("--max-file-mb", type=click.IntRange(min=1), default=1024, show_default=True,
                         help="Split NDJSON and Parquet files past this size."),
        )):
            command = option(command)
        return command

    return decorate


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr while the block runs, when stderr is a terminal; nothing otherwise.

    Yields `update(done, total=None, description=None)`."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, total: int | None = None, description: str | None = None) -> None:
            changes: dict[str, Any] = {"completed": done}
            if total is not None:
                changes["total"] = total
            if description is not None:
                changes["description"] = description
            bar.update(task, **changes)

        yield update
