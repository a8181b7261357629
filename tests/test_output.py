"""Output folders appear whole or not at all, locally and at an fsspec URL."""

from __future__ import annotations

import tempfile
from datetime import date

import fsspec
import pytest

from gpsynth.dataset import OutputOptions, dataset_info, generate
from gpsynth.destination import Destination
from gpsynth.plan import make_plan
from gpsynth.scenario import parse_scenario
from gpsynth.sinks.duckdb import DuckdbFormat
from gpsynth.sinks.writing import Finishing

AS_OF = date(2026, 11, 25)
SMALL = parse_scenario({"practices": {"list_size": 200}, "calendar": {"horizon_days": 3, "history_days": 1}}, "small")


class Interrupted(Exception):
    pass


def local_files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_url_receives_the_same_files_as_a_folder(tmp_path):
    generate(SMALL, 1, AS_OF, tmp_path / "local", options=OutputOptions(("json", "ndjson")), workers=1)
    generate(SMALL, 1, AS_OF, "memory://bucket/remote", options=OutputOptions(("json", "ndjson")), workers=1)
    fs = fsspec.filesystem("memory")
    remote = {path.removeprefix("/bucket/remote/"): fs.cat(path) for path in fs.find("/bucket/remote")}
    assert remote == local_files(tmp_path / "local")
    assert not fs.exists("/bucket/remote.partial")


def test_a_failed_run_leaves_nothing_at_either_kind_of_target(tmp_path):
    def interrupt(done, total):
        if done == 2:
            raise Interrupted

    for target in (tmp_path / "local", "memory://bucket/failed"):
        with pytest.raises(Interrupted):
            generate(SMALL, 1, AS_OF, target, options=OutputOptions(("ndjson", "duckdb")), workers=1, on_shard=interrupt)
    assert list(tmp_path.iterdir()) == []
    assert not fsspec.filesystem("memory").exists("/bucket/failed")


def test_a_store_for_a_url_is_built_locally_and_an_unfinished_one_leaves_no_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    destination = Destination("/bucket/unfinished", fsspec.filesystem("memory"))
    with Finishing([DuckdbFormat(dataset_info(make_plan(SMALL, 1, AS_OF)))], destination):
        [staging] = tmp_path.iterdir()
        assert staging.name.startswith("gpsynth-store-")
    assert list(tmp_path.iterdir()) == []
