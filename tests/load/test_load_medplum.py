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


def test_r4_load_stores_every_resource_once_with_references_resolving(small, medplum, tmp_path):
    expected = dataset(small)
    report = load(small, medplum.base, LoadOptions(fhir_version="R4", bundle_size=50, checkpoint=tmp_path / "cp.json",
                                                   verify=True))

    assert report.ok and report.failed == 0 and report.failures == ()
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
    assert all(v.ok and v.found == v.expected and not v.missing for v in report.verification)

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
    """STU3 resources sent as they are to an R4 server: the entries the server refuses, and why."""
    report = load(small, medplum.base, LoadOptions(mode="batch", only=("Location", "Schedule"), checkpoint=tmp_path / "cp.json"))
    schedules = {t.resource_type: t for t in report.types}["Schedule"]
    assert schedules.failed == schedules.sent == 4 and not report.ok
    assert {f.status for f in report.failures} == {400}
    assert "Expected array of values for property at Schedule.serviceCategory" in report.failures[0].message
    checkpoint = orjson.loads((tmp_path / "cp.json").read_bytes())
    assert checkpoint["done"] == {"Location": [[0, 0]]}, "a bundle with a refused entry is never marked done"


def test_a_transaction_larger_than_the_server_allows_is_refused_whole(small, medplum, tmp_path):
    """Medplum caps a transaction at 50 updates; the message says so, for every entry of the bundle."""
    report = load(small, medplum.base, LoadOptions(only=("Slot",), bundle_size=100, fhir_version="R4", checkpoint=tmp_path / "cp.json"))
    slots = len(dataset(small)["Slot"])
    bundles = [min(100, slots - start) for start in range(0, slots, 100)]
    assert report.sent == slots and report.failed == sum(n for n in bundles if n > 50)
    assert "transaction rejected: HTTP 400" in report.failures[0].message
    assert "more update operations than allowed" in report.failures[0].message
    assert total(medplum.base, "Slot") == sum(n for n in bundles if n <= 50)


def test_cli_dry_run_load_and_verify(small, medplum, tmp_path):
    runner = CliRunner()
    checkpoint = str(tmp_path / "cp.json")
    plan = runner.invoke(main, ["load", str(small), "--server", medplum.base, "--dry-run", "--bundle-size", "50",
                                "--only", "Slot,Appointment", "--checkpoint", checkpoint])
    assert plan.exit_code == 0, plan.output
    slots, appointments = len(dataset(small)["Slot"]), len(dataset(small)["Appointment"])
    assert re.search(rf"Slot +│ +{slots:,} +│ +{-(-slots // 50)} +│", plan.output)
    assert re.search(rf"Appointment +│ +{appointments:,} +│ +{-(-appointments // 50)} +│", plan.output)
    assert total(medplum.base, "Slot") == 0, "a dry run sends nothing"

    done = runner.invoke(main, ["load", str(small), "--server", medplum.base + "/fhir/R4/", "--fhir-version", "R4",
                                "--bundle-size", "50", "--concurrency", "2", "--header", "X-Request-Source: gpsynth-tests",
                                "--verify", "--checkpoint", checkpoint])
    assert done.exit_code == 0, done.output
    assert "resources/s" in done.output and "changed for R4" in done.output and "MISSING" not in done.output
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
