"""The sandbox store the HTTP tests serve: the gpc-provider-testing preset as of today, generated once."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from sandbox_process import days_ahead

from gpsynth.cli import main


@pytest.fixture(scope="session")
def provider_testing_store(tmp_path_factory):
    """A gpc-provider-testing store with today as its reference date, so its slots are current."""
    out = tmp_path_factory.mktemp("gpc-store") / "store"
    result = CliRunner().invoke(main, ["generate", "--scenario", "gpc-provider-testing", "--as-of", days_ahead(0).isoformat(),
                                       "--format", "duckdb", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "gpsynth.duckdb"


@pytest.fixture(scope="module")
def store_copy(provider_testing_store, tmp_path_factory):
    """A copy of the store for one test module, so each module's bookings are its own."""
    copy = tmp_path_factory.mktemp("served") / "gpsynth.duckdb"
    shutil.copyfile(provider_testing_store, copy)
    return copy
