"""Loading into a third-party FHIR server (Medplum, R4): every resource exactly once, references resolving."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import orjson
from click.testing import CliRunner
from load_support import dataset, references
from medplum_server import stored, total

from gpsynth.cli import main
from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.load import LoadOptions, load
from gpsynth.store import DEFAULT_STORE_NAME, open_store, transaction, update_resource


def test_default_load_stores_every_resource_once_with_references_resolving(small, medplum, tmp_path):
    """No tuning options: R4 from the CapabilityStatement, and Bundles cut to Medplum's 50 updates per transaction."""
    expected = dataset(small)
    report = load(small, medplum.base, LoadOptions(checkpoint=tmp_path / "cp.json", verify=True))

    assert report.ok and report.failed == 0 and report.failures == ()
    assert (report.mode, report.fhir_version) == ("transaction", "R4")
    assert report.notes[0] == "the server speaks FHIR 4.0.1: converting the STU3 resources to R4"
    assert report.notes[1:] in ((), ("the server accepts at most ~50 entries per transaction Bundle; using 50",))
    assert report.sent == report.created + report.updated == sum(map(len, expected.values()))
    on_server = {t: stored(medplum.base, t) for t in RESOURCE_TYPES}
    for resource_type in RESOURCE_TYPES:
        assert total(medplum.base, resource_type) == len(expected[resource_type])
        assert on_server[resource_type].keys() == expected[resource_type].keys()
    for resource_type, resources in on_server.items():
        for resource in resources.values():
            for reference in references(resource):
                if not reference.startswith("#"):
                    target_type, target_id = reference.split("/")
                    assert target_id in on_server[target_type], f"{resource_type}/{resource['id']} → {reference}"
    assert all(v.ok and v.method == "count" and v.found == v.expected and not v.missing for v in report.verification)

    appointments = expected["Appointment"].values()
    cancelled = sum(1 for a in appointments if a["status"] == "cancelled")
    assert report.r4_changes["Appointment.serviceCategory: one CodeableConcept → a list"] == len(expected["Appointment"])
    assert report.r4_changes["Schedule.serviceCategory: one CodeableConcept → a list"] == len(expected["Schedule"])
    assert report.r4_changes["Slot.meta.profile: STU3 GP Connect profile dropped"] == len(expected["Slot"])
    assert report.r4_changes["Appointment.extension(AppointmentCancellationReason-1) → Appointment.cancelationReason.text"] == cancelled
    a_cancelled = next(a for a in on_server["Appointment"].values() if a["status"] == "cancelled")
    assert a_cancelled["cancelationReason"]["text"]
    assert "profile" not in on_server["Slot"][next(iter(expected["Slot"]))].get("meta", {})


def test_a_second_load_changes_nothing(small, medplum, tmp_path):
    options = LoadOptions(mode="batch", fhir_version="R4", bundle_size=200, checkpoint=tmp_path / "cp.json",
                          only=("Organization", "Location", "Practitioner", "Schedule", "Patient"))
    load(small, medplum.base, options)
    before = {t: stored(medplum.base, t) for t in options.resource_types}
    again = load(small, medplum.base, options)
    assert again.failed == 0 and again.sent == sum(map(len, before.values()))
    for resource_type in options.resource_types:
        after = stored(medplum.base, resource_type)
        assert after.keys() == before[resource_type].keys()


def test_json_bundles_and_individual_puts(small, medplum, tmp_path):
    """The json/ Bundles give the same resources as ndjson/; `individual` mode PUTs them one by one."""
    only = ("Organization", "Location", "Practitioner", "Schedule")
    report = load(small / "json", medplum.base, LoadOptions(mode="individual", fhir_version="R4", bundle_size=3,
                                                            only=only, checkpoint=tmp_path / "cp.json"))
    assert report.failed == 0 and report.types[0].bundles == 1
    expected = dataset(small)
    for resource_type in only:
        assert stored(medplum.base, resource_type).keys() == expected[resource_type].keys()


def test_refusals_are_reported_with_the_servers_operation_outcome(small, medplum, tmp_path):
    """STU3 resources sent as they are to an R4 server: the entries the server refuses, and why, in failed.ndjson too."""
    only = ("Location", "Schedule")
    for mode in ("batch", "transaction"):  # a transaction refused whole is split down to the entries at fault
        medplum.reset()
        report = load(small, medplum.base, LoadOptions(mode=mode, fhir_version="STU3", only=only, checkpoint=tmp_path / "cp.json"))
        schedules = {t.resource_type: t for t in report.types}["Schedule"]
        assert schedules.failed == schedules.sent == len(dataset(small)["Schedule"]) and not report.ok
        assert {f.status for f in report.failures} == {400}
        assert "Expected array of values for property at Schedule.serviceCategory" in report.failures[0].message
        checkpoint = orjson.loads((tmp_path / "cp.json").read_bytes())
        assert checkpoint["done"] == {"Location": [[0, len(dataset(small)["Location"]) - 1]]}, "refused entries are never marked"
        failed = [orjson.loads(line) for line in (tmp_path / "failed.ndjson").read_bytes().splitlines()]
        assert report.failed_file == tmp_path / "failed.ndjson"
        assert [(f["resourceType"], f["id"]) for f in failed] == [("Schedule", i) for i in dataset(small)["Schedule"]]
        assert all(f["status"] == 400 and "Schedule.serviceCategory" in f["outcome"] and f["resource"]["id"] == f["id"]
                   for f in failed)


def test_a_transaction_larger_than_the_server_allows_is_split_until_it_fits(small, medplum, tmp_path):
    """Medplum caps a transaction at 50 updates: Bundles of 100 are refused whole, split, and the load settles on 50."""
    notes = []
    report = load(small, medplum.base, LoadOptions(only=("Slot",), bundle_size=100, concurrency=1,
                                                   checkpoint=tmp_path / "cp.json"), on_note=notes.append)
    slots = len(dataset(small)["Slot"])
    assert report.ok and report.sent == report.created + report.updated == slots and total(medplum.base, "Slot") == slots
    assert notes[-1] == "the server accepts at most ~50 entries per transaction Bundle; using 50"
    assert not (tmp_path / "failed.ndjson").exists()


def test_cli_dry_run_load_and_verify(small, medplum, tmp_path):
    runner = CliRunner()
    checkpoint = str(tmp_path / "cp.json")
    plan = runner.invoke(main, ["load", str(small), "--server", medplum.base, "--dry-run",
                                "--only", "Slot,Appointment", "--checkpoint", checkpoint])
    assert plan.exit_code == 0, plan.output
    slots, appointments = len(dataset(small)["Slot"]), len(dataset(small)["Appointment"])
    assert re.search(rf"Slot +│ +{slots:,} +│", plan.output) and re.search(rf"Appointment +│ +{appointments:,} +│", plan.output)
    assert "mode auto, bundle size auto" in plan.output
    assert total(medplum.base, "Slot") == 0, "a dry run sends nothing"

    done = runner.invoke(main, ["load", str(small), "--server", medplum.base + "/fhir/R4/", "--concurrency", "2",
                                "--header", "X-Request-Source: gpsynth-tests", "--verify", "--checkpoint", checkpoint])
    assert done.exit_code == 0, done.output
    assert "resources/s" in done.output and "changed for R4" in done.output and "MISSING" not in done.output
    assert "converting the STU3 resources to R4" in done.output and done.output.count("at most ~50 entries") == 1
    assert total(medplum.base, "Slot") == slots


def test_a_store_loads_as_it_is_now_and_a_changed_store_is_a_new_source(small, medplum, tmp_path):
    """The store is read from its resource column; a booking written into it after a load is a new source."""
    store = tmp_path / DEFAULT_STORE_NAME
    shutil.copy(small / DEFAULT_STORE_NAME, store)
    expected = dataset(small)
    options = LoadOptions(fhir_version="R4", bundle_size=50, checkpoint=tmp_path / "cp.json")
    first = load(store, medplum.base, options)
    assert first.ok and first.sent == sum(map(len, expected.values()))
    assert {t: total(medplum.base, t) for t in RESOURCE_TYPES} == {t: len(r) for t, r in expected.items()}

    free = next(s for s in expected["Slot"].values() if s["status"] == "free")
    con = open_store(store, read_only=False)
    with transaction(con):
        update_resource(con, "Slot", {**free, "status": "busy"}, "2026-11-25T09:00:00+00:00", status="busy")
    con.close()
    result = CliRunner().invoke(main, ["load", str(store), "--server", medplum.base, "--fhir-version", "R4",
                                       "--bundle-size", "50", "--checkpoint", str(tmp_path / "cp.json"), "--resume"])
    assert result.exit_code == 2 and "is for a different source" in result.output

    again = load(store, medplum.base, replace(options, only=("Slot",)))
    assert again.ok and stored(medplum.base, "Slot")[free["id"]]["status"] == "busy"
    assert total(medplum.base, "Slot") == len(expected["Slot"])
