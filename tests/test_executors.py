"""The same bytes whichever executor generates the practices: inline, a process pool, or Dask."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from gpsynth.dataset import OutputOptions, generate
from gpsynth.scenario import parse_scenario, preset_text

AS_OF = date(2026, 3, 27)  # the horizon spans the spring clock change


def small_network():
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"].update(count=3, list_size={"mean": 400, "sd": 100})
    return parse_scenario(rules, "pcn, three small practices")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_one_worker_two_workers_and_a_dask_cluster_write_identical_files(tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask distributed is part of the test extra")
    scenario, options = small_network(), OutputOptions(("json", "ndjson"))
    generate(scenario, 5, AS_OF, tmp_path / "one", options=options, workers=1)
    generate(scenario, 5, AS_OF, tmp_path / "two", options=options, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        generate(scenario, 5, AS_OF, tmp_path / "dask", options=options, dask_address=cluster.scheduler_address)
    one = folder_bytes(tmp_path / "one")
    assert len(one) > 10
    assert folder_bytes(tmp_path / "two") == one
    assert folder_bytes(tmp_path / "dask") == one
