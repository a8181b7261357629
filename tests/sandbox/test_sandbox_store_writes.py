"""The store writes the sandbox makes: typed columns read back from resources, and upserts that keep them in step."""

import shutil
from datetime import date

import orjson
import pytest

from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.sandbox.times import seconds
from gpsynth.store import open_store, transaction
from gpsynth.store.columns import derive_columns
from gpsynth.store.schema import COMMON, RESOURCE_TABLES
from gpsynth.store.upsert import UNSTATED, upsert_resources

# Columns no resource states (filled from other rows or kept), and the patient state no FHIR element carries.
LINKED = {"Schedule": {"organization_id", "slot_type"}, "Appointment": {"schedule_id", "organization_id"},
          "Practitioner": {"organization_id", "role_code"}}
STAMP = "2026-11-25T12:00:00+00:00"


def typed_rows(con, resource_type):
    table = RESOURCE_TABLES[resource_type]
    columns = table.columns[1:-len(COMMON)]
    names = ", ".join(f'"{name}"' for name, _ in columns)
    return columns, con.execute(f"SELECT {names}, resource FROM {table.name}").fetchall()


def as_stored(value, sql_type):
    """A derived column value in the form the store gives it back."""
    if value is None:
        return None
    if sql_type == "TIMESTAMPTZ":
        return seconds(value)
    if sql_type == "DATE":
        return date.fromisoformat(value)
    return list(value) if sql_type == "VARCHAR[]" else value


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_columns_read_back_from_every_generated_resource(provider_testing_store, resource_type):
    con = open_store(provider_testing_store)
    columns, rows = typed_rows(con, resource_type)
    con.close()
    skipped = LINKED.get(resource_type, set()) | set(UNSTATED.get(resource_type, {}))
    for *stored, text in rows:
        derived = derive_columns(resource_type, orjson.loads(text))
        for (name, sql_type), value in zip(columns, stored, strict=True):
            if name in skipped or (resource_type, name, value) == ("Patient", "state", "no-appointments"):
                continue
            if sql_type == "TIMESTAMPTZ" and value is not None:
                value = int(value.timestamp())
            assert as_stored(derived[name], sql_type) == value, f"{resource_type}.{name}"


def test_upsert_keeps_columns_and_bumps_versions(provider_testing_store, tmp_path):
    store = tmp_path / "copy.duckdb"
    shutil.copyfile(provider_testing_store, store)
    con = open_store(store, read_only=False)
    slots = [orjson.loads(r[0]) for r in con.execute(
        "SELECT resource FROM slot WHERE len(restrict_org_types) > 0 OR NOT bookable LIMIT 20").fetchall()]
    before = con.execute("SELECT id, bookable, restrict_org_types, shard, seq FROM slot WHERE id IN "
                         "(SELECT unnest(?)) ORDER BY id", [[s["id"] for s in slots]]).fetchall()
    changed = [{**slot, "comment": "Rewritten"} for slot in slots]
    with transaction(con):
        written = upsert_resources(con, "Slot", changed, STAMP, "A20047")
    assert {w.version_id for w in written} == {2} and not any(w.created or w.unchanged for w in written)
    with transaction(con):
        again = upsert_resources(con, "Slot", changed, STAMP, "A20047")
    assert {w.version_id for w in again} == {2} and all(w.unchanged for w in again), "an identical rewrite changes nothing"
    after = con.execute("SELECT id, bookable, restrict_org_types, shard, seq FROM slot WHERE id IN "
                        "(SELECT unnest(?)) ORDER BY id", [[s["id"] for s in slots]]).fetchall()
    assert after == before, "bookability, restrictions and place are kept"
    new = {**slots[0], "id": "A20047-new-slot"}
    with transaction(con):
        (created,) = upsert_resources(con, "Slot", [new], STAMP, "A20047")
    assert created.created and created.version_id == 1
    shard, seq, bookable = con.execute("SELECT shard, seq, bookable FROM slot WHERE id = 'A20047-new-slot'").fetchall()[0]
    assert (shard, bookable) == (1, True)
    assert seq == con.execute("SELECT max(seq) FROM slot WHERE shard = 1").fetchall()[0][0]
    with pytest.raises(Exception, match="written twice"):
        upsert_resources(con, "Slot", [new, new], STAMP, "A20047")
    con.close()
