"""pytest plugin: a generated GP Connect dataset as a fixture, for any project's tests.

    def test_booking(gpsynth_dataset):
        slot = gpsynth_dataset.free_slot()
        patient = gpsynth_dataset.bookable_patient()

Choose the data with ini options (gpsynth_scenario, gpsynth_seed, gpsynth_as_of) or per test with
@pytest.mark.gpsynth(scenario="pcn", seed=7, as_of="2026-03-23"). Each distinct choice is generated
once per test session.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the plugin loads in every pytest run: the generator is imported only when a test asks
    from .fixtures import Dataset

DEFAULTS = {"scenario": "demo", "seed": "1", "as_of": ""}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("gpsynth_scenario", "gpsynth preset name or scenario file for gpsynth_dataset", default=DEFAULTS["scenario"])
    parser.addini("gpsynth_seed", "seed for gpsynth_dataset", default=DEFAULTS["seed"])
    parser.addini("gpsynth_as_of", "reference date YYYY-MM-DD for gpsynth_dataset (default: today)", default=DEFAULTS["as_of"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpsynth(scenario=None, seed=None, as_of=None): the dataset gpsynth_dataset gives this test")


class DatasetCache:
    """One generated dataset per (scenario, seed, as-of) for the whole session."""

    def __init__(self, root: Path):
        self.root = root
        self.datasets: dict[tuple[str, int, date], Dataset] = {}

    def get(self, scenario_name: str, seed: int, as_of: date) -> Dataset:
        from .fixtures import Dataset
        from .scenario import load_scenario

        key = (scenario_name, seed, as_of)
        if key not in self.datasets:
            folder = self.root / f"dataset-{len(self.datasets) + 1}"
            self.datasets[key] = Dataset.generate(load_scenario(scenario_name), seed, as_of, folder)
        return self.datasets[key]


@pytest.fixture(scope="session")
def gpsynth_datasets(tmp_path_factory) -> DatasetCache:
    return DatasetCache(tmp_path_factory.mktemp("gpsynth"))


@pytest.fixture
def gpsynth_dataset(request: pytest.FixtureRequest, gpsynth_datasets: DatasetCache) -> Dataset:
    """The generated dataset for this test: gpsynth.fixtures.Dataset."""
    marker = request.node.get_closest_marker("gpsynth")
    chosen = dict(marker.kwargs) if marker else {}
    ini = request.config.getini
    scenario = chosen.get("scenario") or ini("gpsynth_scenario")
    seed = int(chosen.get("seed") or ini("gpsynth_seed"))
    as_of = chosen.get("as_of") or ini("gpsynth_as_of")
    return gpsynth_datasets.get(scenario, seed, date.fromisoformat(str(as_of)) if as_of else date.today())
