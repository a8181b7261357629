"""The same scenario, seed and --as-of give byte-identical files, run to run and on one or two workers."""

from __future__ import annotations

from pathlib import Path

from generated import generate


def files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_reruns_are_byte_identical_on_one_or_two_workers(tmp_path, christmas, christmas_options):
    first = files(christmas.folder)
    again = files(generate(tmp_path / "again", *christmas_options).folder)
    parallel = files(generate(tmp_path / "parallel", *christmas_options, workers=2).folder)
    assert christmas.scenario.practices.count >= 2
    assert {"scenario.yaml", "ndjson/manifest.json", "ndjson/Slot.ndjson"} <= set(first)
    assert len([name for name in first if name.startswith("json/")]) > 2
    assert again.keys() == first.keys() and parallel.keys() == first.keys()
    assert [name for name in first if again[name] != first[name]] == []
    assert [name for name in first if parallel[name] != first[name]] == []


def test_another_seed_gives_other_data(tmp_path, christmas_options):
    one = files(generate(tmp_path / "one", *christmas_options).folder)
    other = files(generate(tmp_path / "other", *christmas_options, seed=8).folder)
    assert one["ndjson/Patient.ndjson"] != other["ndjson/Patient.ndjson"]
