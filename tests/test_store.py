"""The DuckDB store and Parquet output: same resources as NDJSON, right views, exact exports, safe writes, clear errors."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from gpsynth.cli import main
from gpsynth.dataset import OutputOptions, generate
from gpsynth.errors import GpsynthError
from gpsynth.export import export_store
from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.scenario import load_scenario, preset_names, preset_text
from gpsynth.destination import Destination
from gpsynth.parts import Part
from gpsynth.renditions import open_store_rendition
from gpsynth.sinks.base import ShardOutput
from gpsynth.sinks.parquet import ParquetFormat
from gpsynth.sinks.writing import Finishing, write_part
from gpsynth.store import (StoreWriter, insert_resource, open_store, read_resource, resource_counts, store_info,
                           stored_resources, transaction, update_resource)
from gpsynth.store.query import run_query
from gpsynth.store.schema import RESOURCE_TABLES

AS_OF = date(2026, 11, 25)
STORE = "gpsynth.duckdb"


def write_rules(path: Path, rules: dict) -> Path:
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


def small_preset(name: str, folder: Path) -> Path:
    """A preset's rules with at most two practices of 300 patients, so every preset is quick to generate."""
    rules = yaml.safe_load(preset_text(name))
    practices = rules.setdefault("practices", {})
    practices["count"] = min(practices.get("count", 1), 2)
    if not practices.get("fixed"):
        practices["list_size"] = 300
    return write_rules(folder / f"{name}.yaml", rules)


def make(out: Path, rules: Path | str | None, formats: str, as_of: date = AS_OF, **options) -> Path:
    generate(load_scenario(str(rules) if rules else None), 7, as_of, out, options=OutputOptions(tuple(formats.split(",")), **options))
    return out


def ndjson_resources(folder: Path) -> dict[str, list[bytes]]:
    manifest = orjson.loads((folder / "ndjson" / "manifest.json").read_bytes())
    found: dict[str, list[bytes]] = {}
    for entry in manifest["output"]:
        found.setdefault(entry["type"], []).extend((folder / "ndjson" / entry["url"]).read_bytes().splitlines())
    return found


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ref_id(reference: dict) -> str:
    return reference["reference"].split("/", 1)[1]


def tree(folder: Path) -> dict[str, str]:
    """Every file under a folder by relative path, with a digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


# --- same resources as NDJSON, for every preset ---------------------------------------------------------------------

@pytest.fixture(scope="module", params=preset_names())
def preset_output(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"preset-{request.param}")
    return make(folder / "out", small_preset(request.param, folder), "ndjson,duckdb")


def test_store_holds_the_ndjson_resources_byte_for_byte(preset_output):
    expected = ndjson_resources(preset_output)
    con = open_store(preset_output / STORE)
    assert resource_counts(con) == {t: len(lines) for t, lines in expected.items()}
    assert store_info(con).counts == {t: len(expected.get(t, ())) for t in RESOURCE_TYPES}
    for resource_type, lines in expected.items():
        assert list(stored_resources(con, resource_type)) == lines, resource_type


def typed_rows(con, resource_type: str, columns: str) -> dict[str, tuple]:
    table = RESOURCE_TABLES[resource_type].name
    return {row[0]: row[1:] for row in con.sql(f"SELECT id, {columns} FROM {table}").fetchall()}


def test_typed_columns_say_what_the_resources_say(preset_output):
    resources = {t: [orjson.loads(line) for line in lines] for t, lines in ndjson_resources(preset_output).items()}
    con = open_store(preset_output / STORE)
    slots = typed_rows(con, "Slot", 'schedule_id, start, "end", status, delivery_channel, version_id, last_updated')
    for slot in resources["Slot"]:
        assert slots[slot["id"]] == (ref_id(slot["schedule"]), instant(slot["start"]), instant(slot["end"]), slot["status"],
                                     slot["extension"][0]["valueCode"], int(slot["meta"]["versionId"]),
                                     instant(slot["meta"]["lastUpdated"]))
    appointments = typed_rows(con, "Appointment", "status, start, minutes_duration, slot_ids, patient_id, booking_ods_code")
    for appointment in resources.get("Appointment", ()):
        booking = appointment["contained"][0]["identifier"][0]["value"]
        assert appointments[appointment["id"]] == (
            appointment["status"], instant(appointment["start"]), appointment["minutesDuration"],
            [ref_id(s) for s in appointment["slot"]], ref_id(appointment["participant"][0]["actor"]), booking)
    patients = typed_rows(con, "Patient", "nhs_number, organization_id, state, birth_date")
    for patient in resources["Patient"]:
        nhs_number, organization_id, state, birth_date = patients[patient["id"]]
        assert (nhs_number, organization_id, birth_date.isoformat()) == (
            patient["identifier"][0]["value"], ref_id(patient["managingOrganization"]), patient["birthDate"])
        assert (state == "deceased") == ("deceasedDateTime" in patient)
        assert (state == "inactive") == (not patient["active"])
    practitioners = typed_rows(con, "Practitioner", "sds_user_id")
    for practitioner in resources["Practitioner"]:
        assert practitioners[practitioner["id"]] == (practitioner["identifier"][0]["value"],)
    organizations = typed_rows(con, "Organization", "ods_code")
    for organization in resources["Organization"]:
        assert organizations[organization["id"]] == (organization["identifier"][0]["value"],)


# --- views, on a dataset small enough to work out by hand -----------------------------------------------------------

# One GP, one clinic 00:00-01:00 of 15-minute slots (four a day), Monday to Friday, in British Summer Time, so
# every slot starts on the previous day in UTC: the views must count London days. --as-of is Monday 15 June 2026;
# three days of history reach back to Friday 12 June (the weekend is closed) and five days ahead run to Friday 19.
# Every slot is bookable and restricted to urgent care; every past slot is booked and attended, no future slot is.
HAND_RULES = {
    "name": "by-hand",
    "practices": {"count": 1, "list_size": 100, "branch_sites": 0, "ods_prefix": "HND"},
    "sessions": {"night": {"start": "00:00", "end": "01:00", "breaks": []}},
    "staff": [{"role": "gp", "count": 1, "sessions": ["night"], "slot_minutes": 15, "channels": {"Telephone": 1.0},
               "sessions_per_week": {5: 1.0}}],
    "calendar": {"horizon_days": 5, "history_days": 3},
    "availability": {"bookable_share": 1.0, "restrictions": [{"org_types": ["urgent-care"], "share": 1.0}]},
    # Demand far above capacity, all of it booked on the day: every past slot is taken, no future one yet.
    "demand": {"scale": 1000, "max_fill": 1.0, "same_day_share": 1.0, "multi_slot_share": 0.0,
               "cancellation_share": 0.0, "no_show_share": 0.0, "consumer_share": 0.0},
    "workforce": {"annual_leave_weeks": 0, "training_days": 0},
    "patients": {"special": {"deceased": 0, "sensitive": 0, "inactive": 0, "no-appointments": 0}},
}
HAND_AS_OF = date(2026, 6, 15)
PAST_DAY = date(2026, 6, 12)
OPEN_DAYS = [date(2026, 6, d) for d in (15, 16, 17, 18, 19)]


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("by-hand")
    return make(folder / "out", write_rules(folder / "rules.yaml", HAND_RULES), "ndjson,duckdb", HAND_AS_OF)


def test_free_slots_by_day_counts_london_days(by_hand):
    con = open_store(by_hand / STORE)
    rows = con.sql("SELECT ods_code, day, free_slots, restricted FROM free_slots_by_day ORDER BY day").fetchall()
    assert rows == [("HND0001", day, 4, 4) for day in OPEN_DAYS]


def test_schedule_utilisation_per_day(by_hand):
    con = open_store(by_hand / STORE)
    rows = con.sql("SELECT schedule_id, day, slots, busy, free, utilisation FROM schedule_utilisation ORDER BY day").fetchall()
    assert rows == [("HND0001-SC1", PAST_DAY, 4, 4, 0, 1.0)] + [("HND0001-SC1", day, 4, 0, 4, 0.0) for day in OPEN_DAYS]


def test_patient_appointments_joins_the_patient_the_clinician_and_the_surgery(by_hand):
    resources = {t: {r["id"]: r for r in map(orjson.loads, lines)} for t, lines in ndjson_resources(by_hand).items()}
    (practitioner,) = resources["Practitioner"].values()
    (surgery,) = resources["Location"].values()
    name = practitioner["name"][0]
    expected = []
    for minute in (0, 15, 30, 45):
        start = datetime.fromisoformat(f"2026-06-12T00:{minute:02d}:00+01:00")
        appointment = next(a for a in resources["Appointment"].values() if instant(a["start"]) == start)
        patient = resources["Patient"][ref_id(appointment["participant"][0]["actor"])]
        expected.append((patient["identifier"][0]["value"], appointment["id"], "fulfilled", start, 15, "Telephone",
                         surgery["name"], f"{name['prefix'][0]} {name['given'][0]} {name['family']}", "HND0001"))
    con = open_store(by_hand / STORE)
    rows = con.sql("""SELECT nhs_number, appointment_id, status, start, minutes_duration, delivery_channel, location,
                             practitioner, booking_ods_code FROM patient_appointments ORDER BY start""").fetchall()
    assert rows == expected


# --- export equals direct generation ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """Two practices of the pcn rules (many rules, little data), and their store."""
    folder = tmp_path_factory.mktemp("network")
    rules = small_preset("pcn", folder)
    return rules, make(folder / "store", rules, "duckdb") / STORE


@pytest.mark.parametrize("formats, options", [
    ("json", {}),
    ("json", {"bundle_kind": "transaction", "bundle_size": 333}),
    ("ndjson", {"max_file_bytes": 1 << 20}),
    ("parquet", {}),
    ("json,ndjson,parquet", {}),
])
def test_export_equals_direct_generation(network, tmp_path, formats, options):
    rules, store = network
    direct = make(tmp_path / "direct", rules, formats, **options)
    exported = tmp_path / "exported"
    export_store(store, exported, options=OutputOptions(tuple(formats.split(",")), **options))
    assert tree(exported) == tree(direct)
    if formats == "ndjson":
        assert len(list((exported / "ndjson").glob("Patient*.ndjson"))) > 1     # the split is exercised too


def test_export_from_the_command_line(network, tmp_path):
    rules, store = network
    direct = make(tmp_path / "direct", rules, "json", bundle_kind="transaction", bundle_size=500)
    result = run_cli("export", store, "--format", "json", "--bundle", "transaction", "--bundle-size", "500",
                     "--out", tmp_path / "exported")
    assert result.exit_code == 0, result.output
    assert tree(tmp_path / "exported") == tree(direct)


def test_parquet_splits_files_and_row_groups_deterministically(network, tmp_path):
    _, store = network
    stored = open_store_rendition(store)

    def write(folder: Path) -> Path:
        formats = [ParquetFormat(stored.info.dataset_info(), max_file_bytes=40_000, row_group_rows=700)]
        destination = Destination.local(folder)
        outputs = (ShardOutput(rows.shard, rows.practice_ods, {}, rows) for rows in stored.shards())
        with Finishing(formats, destination) as finishing:
            finishing.add(write_part(formats, destination, Part(1, 1), outputs))
            finishing.finish()
        return folder / "parquet"

    first, second = write(tmp_path / "a"), write(tmp_path / "b")
    assert tree(first) == tree(second)
    # Partitioned by region: the pcn practices are all GPS0001... codes, the consumers their own region.
    assert sorted(p.name for p in (first / "slot").iterdir()) == ["region=GPS"]
    assert sorted(p.name for p in (first / "organization").iterdir()) == ["region=GPS", "region=consumers"]
    slot_files = sorted((first / "slot" / "region=GPS").glob("*.parquet"))
    assert [p.name for p in slot_files[:2]] == ["slot-00001.parquet", "slot-00002.parquet"]
    assert all(g <= 700 for p in slot_files for g in (pq.ParquetFile(p).metadata.row_group(i).num_rows
                                                   for i in range(pq.ParquetFile(p).metadata.num_row_groups)))
    from_parquet = pq.read_table(first / "slot").sort_by([("shard", "ascending"), ("seq", "ascending")])
    assert from_parquet["resource"].to_pylist() == [r.decode() for r in stored.resources("Slot")]


# --- the store survives reopening, and changes are versioned and transactional ---------------------------------------

def test_a_booking_survives_reopening(network, tmp_path):
    _, original = network
    store = tmp_path / STORE
    store.write_bytes(original.read_bytes())
    con = open_store(store, read_only=False)
    slot_id = con.sql("SELECT id FROM slot WHERE status = 'free' AND bookable ORDER BY shard, seq LIMIT 1").fetchall()[0][0]
    (schedule_id, start, end), = con.sql(f"SELECT schedule_id, start, \"end\" FROM slot WHERE id = '{slot_id}'").fetchall()
    organization_id, location_id, practitioner_id = con.sql(
        f"SELECT organization_id, location_id, practitioner_id FROM schedule WHERE id = '{schedule_id}'").fetchall()[0]
    patient_id = con.sql(f"SELECT id FROM patient WHERE organization_id = '{organization_id}' LIMIT 1").fetchall()[0][0]
    booked_at = "2026-11-25T10:00:00+00:00"
    slot = orjson.loads(read_resource(con, "Slot", slot_id).resource)
    appointment = {"resourceType": "Appointment", "id": "booked-1", "meta": {}, "status": "booked",
                   "start": start.isoformat(), "end": end.isoformat(), "slot": [{"reference": f"Slot/{slot_id}"}],
                   "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}]}
    with transaction(con):
        update_resource(con, "Slot", {**slot, "status": "busy"}, booked_at, status="busy")
        insert_resource(con, "Appointment", appointment, booked_at, status="booked", start=start, end=end, slot_ids=[slot_id],
                        patient_id=patient_id, organization_id=organization_id, location_id=location_id,
                        practitioner_id=practitioner_id, schedule_id=schedule_id, minutes_duration=10)
    con.close()

    con = open_store(store)
    stored_slot = read_resource(con, "Slot", slot_id)
    assert stored_slot.version_id == 2
    assert orjson.loads(stored_slot.resource) == {**slot, "status": "busy",
                                                 "meta": {**slot["meta"], "versionId": "2", "lastUpdated": booked_at}}
    assert con.sql(f"SELECT status, version_id FROM slot WHERE id = '{slot_id}'").fetchall() == [("busy", 2)]
    shard, seq = con.sql("SELECT shard, seq FROM appointment WHERE id = 'booked-1'").fetchall()[0]
    assert (shard, seq) == con.sql(f"""SELECT o.shard, (SELECT max(seq) FROM appointment WHERE shard = o.shard)
                                       FROM organization o WHERE o.id = '{organization_id}'""").fetchall()[0]
    assert con.sql("SELECT status FROM patient_appointments WHERE appointment_id = 'booked-1'").fetchall() == [("booked",)]
    assert orjson.loads(read_resource(con, "Appointment", "booked-1").resource)["meta"] == {"versionId": "1", "lastUpdated": booked_at}


def test_a_failed_transaction_changes_nothing(network, tmp_path):
    _, original = network
    store = tmp_path / STORE
    store.write_bytes(original.read_bytes())
    con = open_store(store, read_only=False)
    slot_id = con.sql("SELECT id FROM slot WHERE status = 'free' LIMIT 1").fetchall()[0][0]
    slot = orjson.loads(read_resource(con, "Slot", slot_id).resource)
    with pytest.raises(GpsynthError, match="not in the store"):
        with transaction(con):
            update_resource(con, "Slot", {**slot, "status": "busy"}, "2026-11-25T10:00:00+00:00", status="busy")
            update_resource(con, "Slot", {**slot, "id": "no-such-slot"}, "2026-11-25T10:00:00+00:00")
    con.close()
    con = open_store(store)
    assert con.sql(f"SELECT status, version_id FROM slot WHERE id = '{slot_id}'").fetchall() == [("free", 1)]


def test_unknown_columns_are_refused(network, tmp_path):
    _, store = network
    con = open_store(store)
    with pytest.raises(GpsynthError, match="slot: no typed column 'colour'"):
        update_resource(con, "Slot", {"id": "x"}, "2026-11-25T10:00:00+00:00", colour="blue")


# --- writes are atomic ------------------------------------------------------------------------------------------------

class FailingSink:
    """Stands for a crash part-way through: fails on the second shard."""

    needs = frozenset()

    def __init__(self):
        self.shards = 0

    def write(self, output):
        self.shards += 1
        if self.shards == 2:
            raise RuntimeError("disk on fire")

    def close(self):
        return {}


def test_an_interrupted_generate_leaves_the_previous_store_intact(network, tmp_path):
    rules, _ = network
    out = make(tmp_path / "out", rules, "duckdb")
    before = tree(out)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(load_scenario(str(rules)), 8, AS_OF, out, options=OutputOptions(("duckdb",)), overwrite=True,
                 extra_sinks=[FailingSink()])
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert store_info(open_store(out / STORE)).seed == 7


def test_an_unfinished_store_writer_never_touches_its_target(network, tmp_path):
    _, original = network
    target = tmp_path / STORE
    target.write_bytes(original.read_bytes())
    info = store_info(open_store(original)).dataset_info()
    writer = StoreWriter(target, info)
    writer.con.close()                     # abandoned before finish, as a killed process would leave it
    assert target.read_bytes() == original.read_bytes()
    assert store_info(open_store(target)).counts == store_info(open_store(original)).counts


# --- clear errors -----------------------------------------------------------------------------------------------------

def not_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "notes.duckdb"
    path.write_text("these are not the droids\n" * 100)
    return path


def other_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE inventory (item VARCHAR)").fetchall()
    con.close()
    return path


def future_store(tmp_path: Path, original: Path) -> Path:
    path = tmp_path / "future.duckdb"
    path.write_bytes(original.read_bytes())
    con = duckdb.connect(str(path))
    con.execute("UPDATE dataset SET store_format = 99").fetchall()
    con.close()
    return path


@pytest.mark.parametrize("case, message", [
    ("missing", "no such store; write one with `gpsynth generate --format duckdb`"),
    ("not duckdb", "not a gpsynth store (not a DuckDB database file)"),
    ("other duckdb", "not a gpsynth store (a DuckDB database without a gpsynth `dataset` table)"),
    ("future", "store format 99 is not one this gpsynth reads (format 1); generate the store again with this version"),
])
@pytest.mark.parametrize("command", ["sql", "export"])
def test_a_store_that_cannot_be_read_gives_one_clear_line(network, tmp_path, case, message, command):
    _, original = network
    path = {"missing": lambda: tmp_path / "nowhere.duckdb", "not duckdb": lambda: not_duckdb(tmp_path),
            "other duckdb": lambda: other_duckdb(tmp_path), "future": lambda: future_store(tmp_path, original)}[case]()
    args = ["select 1"] if command == "sql" else ["--out", tmp_path / "exported"]
    result = run_cli(command, path, *args)
    assert result.exit_code == 2
    assert result.output == f"error: {path}: {message}\n"
    assert not (tmp_path / "exported").exists()


@pytest.mark.parametrize("query, message", [
    ("selec * from slot", 'error: query failed: Parser Error: syntax error at or near "selec"'),
    ("select * from slots", "error: query failed: Catalog Error: Table with name slots does not exist!"),
    ("delete from slot", 'error: query failed: Invalid Input Error: Cannot execute statement of type "DELETE"'),
])
def test_a_bad_query_gives_one_clear_line(network, query, message):
    _, store = network
    result = run_cli("sql", store, query)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert len(result.output.splitlines()) == 1
    assert "Traceback" not in result.output


def test_export_refuses_formats_it_cannot_write(network, tmp_path):
    _, store = network
    result = run_cli("export", store, "--format", "duckdb", "--out", tmp_path / "exported")
    assert (result.exit_code, result.output) == (
        2, "error: Invalid value for --format: 'duckdb': allowed formats are json, ndjson, parquet (comma-separated)\n")
    with pytest.raises(GpsynthError, match="cannot export to 'duckdb'; allowed: json, ndjson, parquet"):
        export_store(store, tmp_path / "exported", options=OutputOptions(("duckdb",)))
    assert not (tmp_path / "exported").exists()


def test_export_reads_the_store_of_an_output_folder_as_validate_and_load_do(network, tmp_path):
    rules, _ = network
    both = make(tmp_path / "both", rules, "ndjson,duckdb")
    result = run_cli("export", both, "--format", "ndjson", "--out", tmp_path / "exported")
    assert result.exit_code == 0, result.output
    assert ndjson_resources(tmp_path / "exported") == ndjson_resources(both)
    # A folder of files only names what it holds, as `gpsynth validate` and `gpsynth load` see it.
    result = run_cli("export", both / "ndjson", "--out", tmp_path / "refused")
    assert (result.exit_code, result.output) == (2, f"error: {both / 'ndjson'}: holds {both / 'ndjson'} (NDJSON), no store; "
                                                    f"expected a store file or a folder holding {STORE} "
                                                    "(`gpsynth generate --format duckdb`)\n")
    assert not (tmp_path / "refused").exists()


def test_sql_prints_the_rows_as_a_table(by_hand):
    result = run_cli("sql", by_hand / STORE, "select ods_code, day, free_slots from free_slots_by_day order by day", "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "HND0001" in line]
    assert [line.split("│")[1:4] for line in lines] == [[" HND0001  ", " 2026-06-15 ", "          4 "],
                                                        [" HND0001  ", " 2026-06-16 ", "          4 "]]
    assert result.output.rstrip().endswith("first 2 rows shown; raise --limit for more")


@pytest.mark.parametrize("query", [
    "COPY (SELECT 1) TO '{tmp}/copied.csv'",
    "SELECT * FROM read_text('{tmp}/secret.txt')",
    "SELECT * FROM read_csv('{tmp}/secret.txt')",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "EXPORT DATABASE '{tmp}/exported'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_json_auto('{tmp}/secret.txt')",
    "SELECT * FROM read_blob('{tmp}/secret.txt')",
    "SELECT * FROM glob('{tmp}/*')",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET threads = 1",
    "RESET lock_configuration",
    "PRAGMA enable_external_access",
])
def test_sql_cannot_read_or_write_other_files_nor_unlock_itself(by_hand, tmp_path, query):
    (tmp_path / "secret.txt").write_text("a secret\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("sql", by_hand / STORE, query.format(tmp=tmp_path))
    assert result.exit_code == 2 and result.output.startswith("error: query failed: ")
    assert "a secret" not in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_sql_writes_csv_json_and_markdown_for_scripts(by_hand):
    query = "select ods_code, day, free_slots from free_slots_by_day order by day"
    table = run_query(by_hand / STORE, query, 3)
    as_csv = run_cli("sql", by_hand / STORE, query, "--limit", "3", "--format", "csv")
    assert as_csv.exit_code == 0
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows == [list(table.columns), *[[r[0], r[1].isoformat(), str(r[2])] for r in table.rows]]
    assert "raise --limit" in as_csv.stderr
    as_json = run_cli("sql", by_hand / STORE, query, "--limit", "3", "--format", "json")
    assert orjson.loads(as_json.stdout) == [{"ods_code": r[0], "day": r[1].isoformat(), "free_slots": r[2]} for r in table.rows]
    as_markdown = run_cli("sql", by_hand / STORE, query, "--limit", "3", "--format", "markdown").stdout.splitlines()
    assert as_markdown[0] == "| ods_code | day | free_slots |" and len(as_markdown) == 2 + len(table.rows)
