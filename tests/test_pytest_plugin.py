"""The pytest plugin, exercised in a separate pytest run through pytester."""

from __future__ import annotations

PASSING_TESTS = '''
import random
from datetime import date, datetime
import pytest

def test_default_dataset(gpsynth_dataset):
    assert gpsynth_dataset.as_of == date(2026, 11, 25)
    slot = gpsynth_dataset.free_slot()
    assert slot.status == "free" and slot.bookable
    assert datetime.fromisoformat(slot.start).date() > date(2026, 11, 25)
    resource = gpsynth_dataset["Slot"][slot.id]
    assert resource["status"] == "free" and resource["start"] == slot.start
    patient = gpsynth_dataset.bookable_patient(random.Random(3))
    assert gpsynth_dataset.resolve(f"Patient/{patient.id}")["active"] is True
    assert gpsynth_dataset.consumer_organisation("urgent-care").ods_code == "GPSU01"
    assert (gpsynth_dataset.folder / "ndjson" / "manifest.json").is_file()

@pytest.mark.gpsynth(scenario="gpc-provider-testing", as_of="2026-11-26")
def test_marker_chooses_the_dataset(gpsynth_dataset):
    assert [p.ods_code for p in gpsynth_dataset.practices()] == ["A20047"]
    assert gpsynth_dataset.free_slot(org_type="urgent-care", ods_code="A20047")

def test_same_choice_same_object(gpsynth_dataset, gpsynth_datasets):
    assert gpsynth_datasets.get("demo", 1, date(2026, 11, 25)) is gpsynth_dataset
'''


def test_fixture_marker_and_ini_options(pytester):
    pytester.makeini("[pytest]\ngpsynth_scenario = demo\ngpsynth_as_of = 2026-11-25\n")
    pytester.makepyfile(PASSING_TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=3)


def test_unknown_scenario_fails_the_test_with_the_scenario_error(pytester):
    pytester.makeini("[pytest]\ngpsynth_scenario = no-such-preset\n")
    pytester.makepyfile("def test_it(gpsynth_dataset):\n    pass\n")
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no-such-preset*not a preset name*"])
