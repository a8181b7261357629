"""Fixtures for the loader tests: small generated datasets and fresh Medplum servers.

Without Node or the npm packages the server tests skip with the reason locally, and fail when CI=true:
CI installs both, so a server that cannot start there is a broken test setup, not an optional one.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
import yaml
from medplum_server import MedplumServer, ServerUnavailable

from gpsynth.dataset import OutputOptions, generate
from gpsynth.scenario import load_scenario

AS_OF = date(2026, 11, 25)
SMALL_RULES = {
    "name": "load-test",
    "description": "One small practice and a week of appointments: about 1,300 resources.",
    "practices": {"count": 1, "list_size": 150, "branch_sites": 1},
    "calendar": {"horizon_days": 5, "history_days": 2},
    # A fixed, full-time team and demand far above what 150 patients make, booked well ahead, so the
    # book is full: enough Slots and Appointments for the loader to learn a server's Bundle limit.
    "demand": {"scale": 60, "same_day_share": 0, "routine_median_days": 28},
    "staff": [
        {"role": "gp", "count": 2, "sessions_per_week": {10: 1.0}, "slot_minutes": 10},
        {"role": "practice-nurse", "count": 1, "sessions_per_week": {10: 1.0}, "slot_minutes": 15},
        {"role": "healthcare-assistant", "count": 1, "sessions": ["morning"], "days": ["mon", "wed", "fri"],
         "sessions_per_week": {3: 1.0}},
    ],
    "workforce": {"annual_leave_weeks": 0, "training_days": 0},
}


def generate_small(folder, seed: int = 1):
    rules = folder.parent / f"{folder.name}.yaml"
    rules.write_text(yaml.safe_dump(SMALL_RULES), encoding="utf-8")
    generate(load_scenario(str(rules)), seed, AS_OF, folder, options=OutputOptions(formats=("json", "ndjson", "duckdb")))
    return folder


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """The small dataset as NDJSON, collection Bundles and a store."""
    return generate_small(tmp_path_factory.mktemp("small") / "out")


@pytest.fixture(scope="session")
def small_seed2(tmp_path_factory):
    return generate_small(tmp_path_factory.mktemp("small-seed2") / "out", seed=2)


@pytest.fixture(scope="session")
def medplum_servers():
    """Medplum servers started on first use and shared by the session; `medplum` and `medplum2` empty them per test."""
    servers: list[MedplumServer] = []

    def server(n: int) -> MedplumServer:
        while len(servers) <= n:
            try:
                servers.append(MedplumServer())
            except ServerUnavailable as exc:
                if os.environ.get("CI") == "true":
                    pytest.fail(f"CI must run the Medplum FHIR server: {exc}")
                pytest.skip(str(exc))
        servers[n].reset()
        return servers[n]

    yield server
    for started in servers:
        started.stop()


@pytest.fixture
def medplum(medplum_servers) -> MedplumServer:
    return medplum_servers(0)


@pytest.fixture
def medplum2(medplum_servers) -> MedplumServer:
    """A second empty server, for comparing two loads."""
    return medplum_servers(1)
