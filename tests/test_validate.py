"""`gpsynth validate`: clean generated folders pass, and each kind of damage is reported as its own problem."""

from __future__ import annotations

import copy
import shutil

import orjson
import pytest
from click.testing import CliRunner
from generated import (
    CANCELLATION_REASON,
    DELIVERY_CHANNEL,
    NHS_NUMBER,
    REGISTRATION_DETAILS,
    SD,
    extension,
    generate,
)

from gpsynth.cli import main
from gpsynth.errors import GpsynthError
from gpsynth.validate import check_resources, validate_dataset

BOOKING_ORGANISATION = SD + "Extension-GPConnect-BookingOrganisation-1"


def manifest_counts(folder) -> dict[str, int]:
    manifest = orjson.loads((folder / "ndjson" / "manifest.json").read_bytes())
    return {entry["type"]: entry["count"] for entry in manifest["output"]}


def test_a_generated_folder_passes_in_both_renditions(spring):
    report = validate_dataset(spring.folder, sample=25)
    assert report.problems == []
    assert report.counts["ndjson"] == manifest_counts(spring.folder)
    assert report.counts["json"] == report.counts["ndjson"]
    assert set(report.model_checked) == set(report.counts["ndjson"])
    assert all(0 < n <= 25 for n in report.model_checked.values())


def test_the_cli_passes_transaction_bundles_and_reports_counts(christmas):
    result = CliRunner().invoke(main, ["validate", "--sample", "10", str(christmas.folder)])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.stdout
    assert f"{manifest_counts(christmas.folder)['Slot']:,}" in result.stdout


class Book:
    """A small, self-contained part of a dataset: every organisation, site, clinician and schedule, one
    multi-slot, one single-slot and one cancelled appointment with their slots and patients, and free slots."""

    def __init__(self, data):
        appointments = data.resources["Appointment"]
        self.multi = next(a for a in appointments if a["status"] == "booked" and len(a["slot"]) > 1)
        self.single = next(a for a in appointments if a["status"] == "booked" and len(a["slot"]) == 1)
        self.cancelled = next(a for a in appointments if a["status"] == "cancelled")
        chosen = [self.multi, self.single, self.cancelled]
        booked = {r["reference"] for a in appointments for r in a["slot"]}
        slots = [s for s in data.resources["Slot"] if f"Slot/{s['id']}" in {r["reference"] for a in chosen for r in a["slot"]}]
        self.free = [s for s in data.resources["Slot"] if f"Slot/{s['id']}" not in booked][:3]
        patients = {p["actor"]["reference"] for a in chosen for p in a["participant"] if p["actor"]["reference"].startswith("Patient/")}
        self.patients = [p for p in data.resources["Patient"] if f"Patient/{p['id']}" in patients]
        self.resources = [*(r for t in ("Organization", "Location", "Practitioner", "Schedule") for r in data.resources[t]),
                          *slots, *self.free, *self.patients, *chosen]

    def get(self, reference: str) -> dict:
        return next(r for r in self.resources if f"{r['resourceType']}/{r['id']}" == reference)

    def slots(self, appointment: dict) -> list[dict]:
        return [self.get(r["reference"]) for r in appointment["slot"]]

    def of(self, resource_type: str) -> list[dict]:
        return [r for r in self.resources if r["resourceType"] == resource_type]


@pytest.fixture(scope="module")
def clean_book(spring):
    return Book(spring)


@pytest.fixture
def book(clean_book):
    return copy.deepcopy(clean_book)


def test_the_small_book_is_clean(clean_book):
    assert len(clean_book.patients) >= 1 and len(clean_book.free) == 3
    assert check_resources(clean_book.resources) == []


def actor(appointment: dict, resource_type: str) -> dict:
    return next(p["actor"] for p in appointment["participant"] if p["actor"]["reference"].startswith(resource_type + "/"))


def another(book: Book, resource_type: str, reference: str) -> str:
    return next(f"{resource_type}/{r['id']}" for r in book.of(resource_type) if f"{resource_type}/{r['id']}" != reference)


def flip_offset(instant: str) -> str:
    return instant[:-6] + ("+01:00" if instant.endswith("+00:00") else "+00:00")


def move_second_slot_to_another_schedule(b: Book):
    first, second = b.slots(b.multi)[:2]
    second["schedule"]["reference"] = another(b, "Schedule", first["schedule"]["reference"])


def put_second_slot_on_another_channel(b: Book):
    channel = extension(b.slots(b.multi)[1], DELIVERY_CHANNEL)
    channel["valueCode"] = "Video" if channel["valueCode"] != "Video" else "Telephone"


def give_another_practitioner(b: Book):
    practitioner = actor(b.single, "Practitioner")
    practitioner["reference"] = another(b, "Practitioner", practitioner["reference"])


def break_nhs_number(b: Book):
    identifier = next(i for i in b.patients[0]["identifier"] if i["system"] == NHS_NUMBER)
    identifier["value"] = identifier["value"][:9] + str((int(identifier["value"][9]) + 1) % 10)


def patient_of(b: Book, appointment: dict) -> dict:
    return b.get(actor(appointment, "Patient")["reference"])


def registration_period(patient: dict) -> dict:
    details = extension(patient, REGISTRATION_DETAILS)["extension"]
    return next(e["valuePeriod"] for e in details if e["url"] == "registrationPeriod")


def register_after_appointment(b: Book):
    registration_period(patient_of(b, b.single)).update(start=b.single["start"][:4] + "-12-31")


def book_one_patient_twice_at_once(b: Book):
    actor(b.multi, "Patient")["reference"] = actor(b.single, "Patient")["reference"]
    b.multi.update(start=b.single["start"], end=b.single["end"])


def cancel_for_clinician_leaving_slot_free(b: Book):
    extension(b.cancelled, CANCELLATION_REASON)["valueString"] = "Clinician unavailable"
    for slot in b.slots(b.cancelled):
        slot["status"] = "free"


DAMAGE = {
    "start is not an instant": (lambda b: b.free[0].update(start="half past nine"), "model", "start"),
    "no versionId": (lambda b: b.patients[0]["meta"].pop("versionId"), "meta", "meta.versionId"),
    "another profile": (lambda b: b.free[0]["meta"].update(profile=[SD + "GPConnect-Schedule-1"]), "meta", "meta.profile"),
    "an invalid id": (lambda b: b.free[0].update(id="free slot"), "id", "the id must be"),
    "a duplicate id": (lambda b: b.resources.append(copy.deepcopy(b.free[0])), "id", "same id"),
    "a dangling reference": (lambda b: actor(b.single, "Patient").update(reference="Patient/nobody"), "reference",
                             "Patient/nobody is not in the dataset"),
    "a dangling contained reference": (
        lambda b: extension(b.single, BOOKING_ORGANISATION)["valueReference"].update(reference="#2"), "reference",
        "#2 names no contained"),
    "a wrong UTC offset": (lambda b: b.free[0].update(start=flip_offset(b.free[0]["start"])), "time", "Europe/London"),
    "a double booking": (lambda b: b.resources.append({**copy.deepcopy(b.single), "id": "again"}), "booking", "already booked by"),
    "a start that is not its slot's": (lambda b: b.single.update(start=b.slots(b.single)[0]["end"]), "appointment",
                                       "its first slot at"),
    "slots out of order": (lambda b: b.multi["slot"].reverse(), "appointment", "not contiguous"),
    "slots of two schedules": (move_second_slot_to_another_schedule, "appointment", "different schedules"),
    "slots on two channels": (put_second_slot_on_another_channel, "appointment", "delivery channel"),
    "a wrong duration": (lambda b: b.single.update(minutesDuration=b.single["minutesDuration"] + 5), "appointment",
                         "minutesDuration"),
    "another practitioner than the schedule's": (give_another_practitioner, "appointment", "its schedule's"),
    "an unknown status": (lambda b: b.single.update(status="pending"), "appointment", "status 'pending'"),
    "a cancellation without a reason": (lambda b: b.cancelled["extension"].remove(extension(b.cancelled, CANCELLATION_REASON)),
                                        "cancellation", "without a cancellation reason"),
    "a reason on a booked appointment": (
        lambda b: b.single["extension"].append({"url": CANCELLATION_REASON, "valueString": "Clinician unavailable"}),
        "cancellation", "carries a cancellation reason"),
    "a cancelled appointment's slot still busy": (lambda b: b.slots(b.cancelled)[0].update(status="busy"), "booking",
                                                  "no other appointment books it"),
    "a clinician-unavailable cancellation leaving its slot free": (cancel_for_clinician_leaving_slot_free, "booking",
                                                                   "not 'busy-unavailable'"),
    "two appointments of one patient at once": (book_one_patient_twice_at_once, "overlap", "also holds Appointment/"),
    "an appointment before the patient registered": (register_after_appointment, "timeline", "before the patient's registration"),
    "an appointment before the patient's birth": (lambda b: patient_of(b, b.single).update(birthDate="2099-01-01"),
                                                  "timeline", "before the patient's birth"),
    "a registration before the NHS began": (lambda b: registration_period(patient_of(b, b.single)).update(start="1940-01-01"),
                                            "registration", "before the NHS began"),
    "a registration before birth": (lambda b: registration_period(patient_of(b, b.single)).update(start="1900-01-01")
                                    or patient_of(b, b.single).update(birthDate="1950-01-01"), "registration",
                                    "before their birth"),
    "created after meta.lastUpdated": (lambda b: b.single.update(created=b.single["start"]), "timeline",
                                       "after its meta.lastUpdated"),
    "created after it starts": (lambda b: b.cancelled.update(created=b.cancelled["end"]), "timeline", "after it starts"),
    "a booked appointment's slot free": (lambda b: b.slots(b.single)[0].update(status="free"), "booking", "not 'busy'"),
    "a slot status GP Connect does not use": (lambda b: b.free[0].update(status="busy-tentative"), "slot", "busy-tentative"),
    "an NHS number failing modulus 11": (break_nhs_number, "nhs-number", "modulus-11"),
    "a duplicate NHS number": (lambda b: b.resources.append({**copy.deepcopy(b.patients[0]), "id": "twin"}), "nhs-number",
                               "also Patient/"),
    "a long description": (lambda b: b.single.update(description="x" * 101), "text", "101 characters"),
    "a long comment": (lambda b: b.single.update(comment="x" * 501), "text", "501 characters"),
    "a reference that is not an object": (lambda b: b.free[0].update(schedule="Schedule/1"), "shape", "unexpected shape"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_each_kind_of_damage_is_reported(book, damage):
    mutate, check, fragment = DAMAGE[damage]
    mutate(book)
    problems = check_resources(book.resources)
    assert any(p.check == check and fragment in p.message for p in problems), problems


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A few days of a small practice, in NDJSON and transaction Bundles."""
    rules = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    rules.write_text("practices: {count: 1, list_size: 100}\ncalendar: {horizon_days: 5, history_days: 2}\n")
    return generate(rules.parent / "out", str(rules), "2026-03-20", "--format", "json,ndjson", "--bundle", "transaction",
                    "--bundle-size", "100").folder


@pytest.fixture
def damaged(tiny, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(tiny, folder)
    return folder


def edit_json(path, change):
    value = orjson.loads(path.read_bytes())
    change(value)
    path.write_bytes(orjson.dumps(value))


def edit_first_line(path, change):
    first, rest = path.read_bytes().split(b"\n", 1)
    resource = orjson.loads(first)
    change(resource)
    path.write_bytes(orjson.dumps(resource) + b"\n" + rest)


FOLDER_DAMAGE = {
    "a manifest count": (lambda f: edit_json(f / "ndjson/manifest.json", lambda m: m["output"][0].update(count=99)),
                         "manifest", "holds 99 resources"),
    "an unlisted NDJSON file": (lambda f: (f / "ndjson/Device.ndjson").write_bytes(b""), "manifest", "does not list"),
    "a broken NDJSON line": (lambda f: (f / "ndjson/Patient.ndjson").open("ab").write(b"{not json\n"), "read", "not JSON"),
    "a resource of another type": (
        lambda f: edit_first_line(f / "ndjson/Slot.ndjson", lambda r: r.update(resourceType="Schedule")), "read", "not a Slot"),
    "NDJSON that differs from the Bundles": (
        lambda f: edit_first_line(f / "ndjson/Patient.ndjson", lambda r: r["name"][0].update(family="Changed")),
        "renditions", "differs between ndjson/ and json/"),
    "a Bundle missing a resource": (
        lambda f: edit_json(max((f / "json").glob("*.json")), lambda b: b["entry"].pop()), "renditions", "not in json/"),
    "a transaction entry with another URL": (
        lambda f: edit_json(min((f / "json").glob("*.json")), lambda b: b["entry"][0]["request"].update(url="Organization/x")),
        "bundle", "expected"),
    "a Bundle of another type": (
        lambda f: edit_json(min((f / "json").glob("*.json")), lambda b: b.update(type="batch")), "bundle",
        "not a collection or transaction Bundle"),
}


def test_the_tiny_folder_is_clean(tiny):
    assert validate_dataset(tiny, sample=5).problems == []


@pytest.mark.parametrize("damage", FOLDER_DAMAGE)
def test_each_kind_of_folder_damage_is_reported(damaged, damage):
    mutate, check, fragment = FOLDER_DAMAGE[damage]
    mutate(damaged)
    problems = validate_dataset(damaged, sample=5).problems
    assert any(p.check == check and fragment in p.message for p in problems), problems


def test_the_cli_exits_1_and_caps_its_listing(damaged):
    for path in (damaged / "ndjson").glob("Slot*.ndjson"):
        path.write_bytes(path.read_bytes().replace(b"GPConnect-Slot-1", b"GPConnect-Slot-2"))
    total = len(validate_dataset(damaged, sample=5).problems)
    result = CliRunner().invoke(main, ["validate", "--sample", "5", "--limit", "3", str(damaged)])
    assert result.exit_code == 1
    assert f"{total:,} problems" in result.stdout
    assert f"and {total - 3:,} more problems" in result.stdout
    assert total > 3


NOT_AN_OUTPUT = ("not a gpsynth output; expected a gpsynth store file or output folder (ndjson/manifest.json, "
                 "json/*.json Bundles or gpsynth.duckdb from `gpsynth generate --out FOLDER`)")


@pytest.mark.parametrize("layout, says", [
    ("missing folder", "no such file or folder; expected a gpsynth store file or output folder (ndjson/manifest.json, "
                       "json/*.json Bundles or gpsynth.duckdb from `gpsynth generate --out FOLDER`)"),
    ("empty folder", NOT_AN_OUTPUT),
    ("ndjson without a manifest", NOT_AN_OUTPUT),
])
def test_a_folder_that_is_not_a_gpsynth_output_exits_2(tmp_path, layout, says):
    folder = tmp_path / "data"
    if layout != "missing folder":
        folder.mkdir()
    if layout == "ndjson without a manifest":
        (folder / "ndjson").mkdir()
        (folder / "ndjson" / "Patient.ndjson").write_bytes(b"{}\n")
    with pytest.raises(GpsynthError):
        validate_dataset(folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {folder}: {says}\n"
