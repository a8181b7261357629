"""The sandbox the HTTP tests talk to: the gpc-provider-testing preset as of today, served per test module."""

from __future__ import annotations

import shutil

import httpx
import pytest
from click.testing import CliRunner

from sandbox_process import GpcClient, SandboxServer, days_ahead

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


@pytest.fixture(scope="module")
def server(store_copy, tmp_path_factory):
    """`gpsynth serve` on the module's store copy, on a free loopback port."""
    server = SandboxServer(store_copy, tmp_path_factory.mktemp("log") / "serve.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gpc(server):
    """A GP Connect client of the served practice: SSP headers and a JWT on every request."""
    with httpx.Client(timeout=30) as http:
        yield GpcClient(server.base(), http)
