"""A dataset larger than one part: the same bytes in every format whoever writes each part, and only summaries travel."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest
import yaml

from gpsynth.dataset import OutputOptions, dataset_info, generate, generate_part, make_formats, plan_parts
from gpsynth.destination import Destination
from gpsynth.export import export_store
from gpsynth.parts import DATASET_FORMAT, PRACTICES_PER_PART
from gpsynth.plan import make_plan
from gpsynth.scenario import parse_scenario, preset_text
from gpsynth.store import open_store, store_info

AS_OF = date(2026, 3, 27)  # the horizon spans the spring clock change
ALL_FORMATS = OutputOptions(("json", "ndjson", "parquet", "duckdb"))
PRACTICES = 3 * PRACTICES_PER_PART + 1     # four parts: enough for two workers to take whole parts


def small_practices(count: int):
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"].update(count=count, list_size={"mean": 120, "sd": 20})
    rules["calendar"] = {"horizon_days": 4, "history_days": 2}
    return parse_scenario(rules, f"pcn, {count} small practices")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parts") / "one"
    generate(small_practices(PRACTICES), 5, AS_OF, out, options=ALL_FORMATS, workers=1)
    return out


def test_files_are_numbered_by_part_and_the_manifest_lists_them_in_order(one_worker):
    manifest = orjson.loads((one_worker / "ndjson" / "manifest.json").read_bytes())
    slot_files = [entry["url"] for entry in manifest["output"] if entry["type"] == "Slot"]
    assert slot_files == [f"Slot.{n:05d}.ndjson" for n in range(1, 5)]
    assert manifest["extension"]["gpsynth"]["datasetFormat"] == DATASET_FORMAT == 3
    assert {p.name for p in (one_worker / "parquet" / "slot" / "region=GPS").iterdir()} == {
        f"slot-{n:05d}.parquet" for n in range(1, 5)}
    assert not (one_worker / ".store-parts").exists()
    # Read in manifest order, the parts give every practice's slots in plan order.
    practices = [orjson.loads(line)["id"].split("-S")[0] for name in slot_files
                 for line in (one_worker / "ndjson" / name).read_bytes().splitlines()]
    assert list(dict.fromkeys(practices)) == [f"GPS{n:04d}" for n in range(1, PRACTICES + 1)]


def test_the_store_holds_every_part_in_output_order(one_worker):
    con = open_store(one_worker / "gpsynth.duckdb")
    assert con.sql("SELECT count(*), min(shard), max(shard) FROM shard").fetchall() == [(PRACTICES + 1, 0, PRACTICES)]
    ordered = con.sql("SELECT resource FROM slot ORDER BY shard, seq").fetchall()
    as_stored = con.sql("SELECT resource FROM slot").fetchall()
    assert ordered == as_stored
    manifest = orjson.loads((one_worker / "ndjson" / "manifest.json").read_bytes())
    counts = {t: sum(e["count"] for e in manifest["output"] if e["type"] == t) for t in store_info(con).counts}
    assert store_info(con).counts == counts


def test_two_local_workers_taking_whole_parts_write_the_same_bytes(one_worker, tmp_path):
    generate(small_practices(PRACTICES), 5, AS_OF, tmp_path / "two", options=ALL_FORMATS, workers=2)
    assert folder_bytes(tmp_path / "two") == folder_bytes(one_worker)


def test_a_dask_cluster_whose_workers_write_their_own_files_writes_the_same_bytes(one_worker, tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask distributed is part of the test extra")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        generate(small_practices(PRACTICES), 5, AS_OF, tmp_path / "shared", options=ALL_FORMATS, dask_address=cluster.scheduler_address)
        # A URL: the workers write through fsspec at <url>.partial, moved into place at the end.
        generate(small_practices(PRACTICES), 5, AS_OF, f"file://{tmp_path}/url", options=ALL_FORMATS,
                 dask_address=cluster.scheduler_address)
    expected = folder_bytes(one_worker)
    assert folder_bytes(tmp_path / "shared") == expected
    assert folder_bytes(tmp_path / "url") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared", "url"]


def test_a_store_file_is_byte_identical_run_to_run_and_opens(one_worker, tmp_path):
    generate(small_practices(PRACTICES), 5, AS_OF, tmp_path / "again", options=OutputOptions(("duckdb",)), workers=1)
    store = (tmp_path / "again" / "gpsynth.duckdb").read_bytes()
    assert store == (one_worker / "gpsynth.duckdb").read_bytes()
    con = duckdb.connect(str(tmp_path / "again" / "gpsynth.duckdb"), read_only=True)
    assert con.sql("SELECT count(*) FROM slot").fetchall()[0][0] > 0
    con.close()
    generate(small_practices(PRACTICES), 6, AS_OF, tmp_path / "other", options=OutputOptions(("duckdb",)), workers=1)
    assert (tmp_path / "other" / "gpsynth.duckdb").read_bytes()[124:140] != store[124:140]


def test_each_part_goes_into_the_store_as_it_is_done_and_its_files_leave(tmp_path):
    waiting: list[list[str]] = []

    def look(done: int, total: int) -> None:
        [partial] = tmp_path.glob(".store.*.partial")
        waiting.append(sorted(p.name for p in (partial / ".store-parts").glob("*")))

    generate(small_practices(PRACTICES), 5, AS_OF, tmp_path / "store", options=OutputOptions(("duckdb",)), on_shard=look)
    assert waiting == [[]] * 4           # four parts, each inserted and its Arrow files deleted before the next
    con = open_store(tmp_path / "store")
    assert con.sql("SELECT count(*) FROM shard").fetchall() == [(PRACTICES + 1,)]


def test_export_writes_the_same_parts(one_worker, tmp_path):
    export_store(one_worker / "gpsynth.duckdb", tmp_path / "exported", options=OutputOptions(("json", "ndjson", "parquet")))
    exported, direct = folder_bytes(tmp_path / "exported"), folder_bytes(one_worker)
    assert exported == {name: data for name, data in direct.items() if name != "gpsynth.duckdb"}


def test_a_part_sends_back_names_and_counts_not_its_data(tmp_path):
    plan = make_plan(small_practices(PRACTICES), 5, AS_OF)
    formats = make_formats(dataset_info(plan), ALL_FORMATS)
    planned = plan_parts(plan)[1]
    summary = generate_part(replace(plan, practices=()), formats, Destination.local(tmp_path), planned)
    written = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    sent = len(pickle.dumps(summary))
    assert [n for n, _ in summary.shards] == [p.index + 1 for p in planned.practices]
    assert written > 500_000 and sent < 10_000, (written, sent)


class ObservingSink:
    """An in-process observer that keeps what it saw and reports nonsense counts when closed."""

    needs = frozenset()

    def __init__(self):
        self.seen = Counter()

    def write(self, output) -> None:
        self.seen.update({t: len(texts) for t, texts in output.rendered.items()})

    def close(self) -> dict[str, int]:
        return {"Slot": -1}


def test_the_run_has_one_count_whatever_sinks_report(one_worker, tmp_path):
    observer = ObservingSink()
    summary = generate(small_practices(PRACTICES), 5, AS_OF, tmp_path / "observed", options=ALL_FORMATS, workers=1,
                       extra_sinks=[observer])
    manifest = orjson.loads((one_worker / "ndjson" / "manifest.json").read_bytes())
    in_manifest = Counter()
    for entry in manifest["output"]:
        in_manifest[entry["type"]] += entry["count"]
    assert dict(summary.counts) == dict(in_manifest) == {t: n for t, n in observer.seen.items() if n}
    assert sum(len(part.shards) for part in summary.parts) == summary.shards == PRACTICES + 1


def test_store_rows_load_without_the_sinks():
    # The store's rows and the output formats each stand alone: importing one does not pull in the other.
    code = "import sys, gpsynth.store.rows; print('gpsynth.sinks.base' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
