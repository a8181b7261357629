"""The fixture packs in datasets/fixtures/ are what the generator makes today: regenerate and compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gpsynth.fixture_packs import PACKS, main, write_pack
from gpsynth.store import DEFAULT_STORE_NAME

COMMITTED = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
REGENERATE = "regenerate with `python -m gpsynth.fixture_packs` from the repository root"


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("pack", PACKS, ids=lambda pack: pack.name)
def test_committed_pack_matches_the_generator(pack, tmp_path):
    committed = COMMITTED / pack.name
    assert committed.is_dir(), f"{committed} is missing; {REGENERATE}"
    fresh = write_pack(pack, tmp_path)
    assert files(fresh) == files(committed), REGENERATE
    assert DEFAULT_STORE_NAME in files(fresh)
    for name in files(fresh):
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), f"{name} has drifted; {REGENERATE}"


def test_packs_stay_small():
    for pack in PACKS:
        size = sum(p.stat().st_size for p in (COMMITTED / pack.name).rglob("*") if p.is_file())
        assert size < 8 * 1024 * 1024, f"{pack.name} is {size / 1e6:.1f} MB"


def test_the_script_names_a_missing_root(tmp_path):
    result = CliRunner().invoke(main, ["--root", str(tmp_path / "no" / "such" / "fixtures")])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'no' / 'such'}: no such folder; run from the repository root or pass --root\n"
