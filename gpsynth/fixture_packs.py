"""Fixture packs: small datasets kept in the repository under datasets/fixtures/, for people who want files, not gpsynth.

Each pack is a preset generated at a fixed seed and reference date in json, ndjson and duckdb forms, with a
README saying how it was made. Regenerate them all (from the repository root) with

    python -m gpsynth.fixture_packs                      # into datasets/fixtures/
    python -m gpsynth.fixture_packs --root /tmp/packs    # somewhere else
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click

from . import __version__
from .cli_options import OneLineErrors
from .dataset import OutputOptions, generate
from .errors import GpsynthError
from .output import atomic_folder
from .scenario import load_scenario
from .store import DEFAULT_STORE_NAME
from .templating import render

DEFAULT_ROOT = Path("datasets/fixtures")


@dataclass(frozen=True)
class Pack:
    name: str
    scenario: str
    seed: int
    as_of: date
    formats: tuple[str, ...] = ("json", "ndjson", "duckdb")

    @property
    def command(self) -> str:
        return (f"gpsynth generate --scenario {self.scenario} --seed {self.seed} --as-of {self.as_of.isoformat()} "
                f"--format {','.join(self.formats)} --out {self.name}/")


# The demo preset writes about 28 MB; the fixture preset holds the same kinds of data in about 6 MB.
# The reference date puts Good Friday, the spring clock change and Easter Monday in the horizon.
PACKS = (Pack("fixture", "fixture", seed=1, as_of=date(2027, 3, 19)),)


def write_pack(pack: Pack, root: Path) -> Path:
    """Generate `pack` into root/<name>/, replacing what was there, whole or not at all."""
    target = Path(root) / pack.name
    with atomic_folder(target, overwrite=True) as folder:
        summary = generate(load_scenario(pack.scenario), pack.seed, pack.as_of, folder, options=OutputOptions(pack.formats),
                           workers=1, overwrite=True)
        readme = render("fixture_pack.md.j2", pack=pack, counts=summary.counts, store_name=DEFAULT_STORE_NAME,
                        version=__version__)
        (folder / "README.md").write_text(readme, encoding="utf-8")
    return target


@click.command(cls=OneLineErrors, help=__doc__.splitlines()[0])
@click.option("--root", type=click.Path(path_type=Path), default=DEFAULT_ROOT, show_default=True, help="The folder holding the packs.")
def main(root: Path) -> None:
    if not root.parent.is_dir():
        raise GpsynthError(f"{root.parent}: no such folder; run from the repository root or pass --root")
    for pack in PACKS:
        click.echo(f"{pack.name}: {pack.command} → {write_pack(pack, root)}")


if __name__ == "__main__":
    main(prog_name="python -m gpsynth.fixture_packs")
