"""The store schema: tables, typed columns, views and the store format version.

A store is one DuckDB file. Each resource type has a table whose rows carry typed columns for what
is searched or joined on, and the resource exactly as rendered (`resource`, JSON text). Instants
are TIMESTAMPTZ, dates DATE, references the bare id of the resource referred to.

Every resource table ends with the same columns:
    shard         INTEGER      0 for the consumer organisations, then 1, 2, ... for each practice in plan order
    seq           BIGINT       output order of the row within its shard and table (1, 2, ...); a new row
                               takes its shard's max(seq) + 1, so ORDER BY shard, seq is the output order
    version_id    INTEGER      meta.versionId; 1 as generated, +1 on every change
    last_updated  TIMESTAMPTZ  meta.lastUpdated
    resource      JSON         the FHIR STU3 resource, byte for byte as rendered

organization   id, ods_code, name, org_type (gp-practice | urgent-care), main_location_id
location       id, name, organization_id, ods_site_code
practitioner   id, sds_user_id, role_profile_ids VARCHAR[], family, given, prefix, gender, role_code,
               organization_id
schedule       id, practitioner_id, location_id, organization_id, role_code, schedule_type, slot_type,
               planning_start DATE, planning_end DATE
slot           id, schedule_id, start, end, status (free | busy), delivery_channel
               (In-person | Telephone | Video), bookable BOOLEAN (GP Connect bookable at all),
               restrict_org_types VARCHAR[], restrict_ods_codes VARCHAR[] (empty: no restriction;
               otherwise the booking organisation must match every non-empty list)
patient        id, nhs_number, verification_status, family, given, prefix, gender, birth_date DATE,
               organization_id, general_practitioner_id, preferred_location_id, registration_start
               DATE, registration_end DATE, registration_type, state (normal | deceased | sensitive |
               inactive | no-appointments), deceased_at
appointment    id, status (booked | cancelled | fulfilled | noshow, and any STU3 status written
               later), start, end, minutes_duration, slot_ids VARCHAR[], patient_id, practitioner_id,
               location_id, schedule_id, organization_id, role_code, delivery_channel, schedule_type,
               slot_type, booking_ods_code, booking_org_type, description, comment, created,
               cancellation_reason

shard          shard INTEGER, practice_ods VARCHAR ('consumers' for shard 0): the shards in output order
dataset        one row: store_format INTEGER, gpsynth_version, scenario_name, scenario_yaml (the
               effective rules, defaults included), seed BIGINT, as_of DATE, last_updated VARCHAR
               (meta.lastUpdated as rendered at generation), counts STRUCT(<resource type> BIGINT, ...)
               (resources as generated)

Views (days are Europe/London calendar days):
    free_slots_by_day      ods_code, day, free_slots, restricted: free, bookable slots per practice and day,
                           and how many of them carry a restriction
    patient_appointments   nhs_number, patient_id, family, given, appointment_id, status, start, end,
                           minutes_duration, delivery_channel, slot_type, ods_code, location,
                           practitioner, booking_ods_code
    schedule_utilisation   schedule_id, ods_code, practitioner, schedule_type, day, slots, busy, free,
                           utilisation (busy / slots)

STORE_FORMAT changes whenever a table, column or view changes meaning, so a reader never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ..fhir.constants import RESOURCE_TYPES

STORE_FORMAT = 1
DEFAULT_STORE_NAME = "gpsynth.duckdb"

INSTANT = pa.timestamp("us", tz="UTC")
TEXT_LIST = pa.list_(pa.string())

# DuckDB type → Arrow type, for every type the schema uses.
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": INSTANT,
    "VARCHAR[]": TEXT_LIST,
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]   # (column, DuckDB type), in storage order

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[sql]) for name, sql in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self) -> str:
        columns = ", ".join(f'"{name}" {sql}{COMPRESSION.get(name, "")}' for name, sql in self.columns)
        return f"CREATE TABLE {self.name} ({columns})"


# The resource JSON is most of a store. zstd packs it 7 times tighter than DuckDB's own choice of string
# compression (FSST and dictionaries), and a store is written in half the time; rows are read a vector of
# 2,048 at a time either way.
COMPRESSION = {"resource": " USING COMPRESSION zstd"}

COMMON = (("shard", "INTEGER"), ("seq", "BIGINT"), ("version_id", "INTEGER"), ("last_updated", "TIMESTAMPTZ"),
          ("resource", "JSON"))


def resource_table(name: str, *columns: tuple[str, str]) -> Table:
    return Table(name, (("id", "VARCHAR"), *columns, *COMMON))


V, LIST = "VARCHAR", "VARCHAR[]"

RESOURCE_TABLES: dict[str, Table] = {
    "Organization": resource_table(
        "organization", ("ods_code", V), ("name", V), ("org_type", V), ("main_location_id", V)),
    "Location": resource_table(
        "location", ("name", V), ("organization_id", V), ("ods_site_code", V)),
    "Practitioner": resource_table(
        "practitioner", ("sds_user_id", V), ("role_profile_ids", LIST), ("family", V), ("given", V), ("prefix", V),
        ("gender", V), ("role_code", V), ("organization_id", V)),
    "Schedule": resource_table(
        "schedule", ("practitioner_id", V), ("location_id", V), ("organization_id", V), ("role_code", V),
        ("schedule_type", V), ("slot_type", V), ("planning_start", "DATE"), ("planning_end", "DATE")),
    "Slot": resource_table(
        "slot", ("schedule_id", V), ("start", "TIMESTAMPTZ"), ("end", "TIMESTAMPTZ"), ("status", V),
        ("delivery_channel", V), ("bookable", "BOOLEAN"), ("restrict_org_types", LIST), ("restrict_ods_codes", LIST)),
    "Patient": resource_table(
        "patient", ("nhs_number", V), ("verification_status", V), ("family", V), ("given", V), ("prefix", V),
        ("gender", V), ("birth_date", "DATE"), ("organization_id", V), ("general_practitioner_id", V),
        ("preferred_location_id", V), ("registration_start", "DATE"), ("registration_end", "DATE"),
        ("registration_type", V), ("state", V), ("deceased_at", "TIMESTAMPTZ")),
    "Appointment": resource_table(
        "appointment", ("status", V), ("start", "TIMESTAMPTZ"), ("end", "TIMESTAMPTZ"), ("minutes_duration", "INTEGER"),
        ("slot_ids", LIST), ("patient_id", V), ("practitioner_id", V), ("location_id", V), ("schedule_id", V),
        ("organization_id", V), ("role_code", V), ("delivery_channel", V), ("schedule_type", V), ("slot_type", V),
        ("booking_ods_code", V), ("booking_org_type", V), ("description", V), ("comment", V), ("created", "TIMESTAMPTZ"),
        ("cancellation_reason", V)),
}

SHARD_TABLE = Table("shard", (("shard", "INTEGER"), ("practice_ods", V)))

COUNTS_SQL = "STRUCT(" + ", ".join(f'"{t}" BIGINT' for t in RESOURCE_TYPES) + ")"
ARROW_TYPES[COUNTS_SQL] = pa.struct([(t, pa.int64()) for t in RESOURCE_TYPES])

DATASET_TABLE = Table("dataset", (
    ("store_format", "INTEGER"), ("gpsynth_version", V), ("scenario_name", V), ("scenario_yaml", V),
    ("seed", "BIGINT"), ("as_of", "DATE"), ("last_updated", V), ("counts", COUNTS_SQL)))

TABLES: tuple[Table, ...] = (*RESOURCE_TABLES.values(), SHARD_TABLE, DATASET_TABLE)

LONDON_DAY = "CAST(timezone('Europe/London', {}) AS DATE)"

VIEWS = {
    "free_slots_by_day": f"""
        SELECT o.ods_code, {LONDON_DAY.format('s.start')} AS day, count(*) AS free_slots,
               count(*) FILTER (WHERE len(s.restrict_org_types) > 0 OR len(s.restrict_ods_codes) > 0) AS restricted
        FROM slot s JOIN schedule sc ON sc.id = s.schedule_id JOIN organization o ON o.id = sc.organization_id
        WHERE s.status = 'free' AND s.bookable
        GROUP BY o.ods_code, day""",
    "patient_appointments": """
        SELECT p.nhs_number, p.id AS patient_id, p.family, p.given, a.id AS appointment_id, a.status, a.start,
               a."end", a.minutes_duration, a.delivery_channel, a.slot_type, o.ods_code, l.name AS location,
               concat_ws(' ', nullif(pr.prefix, ''), pr.given, pr.family) AS practitioner, a.booking_ods_code
        FROM appointment a JOIN patient p ON p.id = a.patient_id JOIN organization o ON o.id = a.organization_id
             JOIN location l ON l.id = a.location_id JOIN practitioner pr ON pr.id = a.practitioner_id""",
    "schedule_utilisation": f"""
        SELECT sc.id AS schedule_id, o.ods_code,
               concat_ws(' ', nullif(pr.prefix, ''), pr.given, pr.family) AS practitioner, sc.schedule_type,
               {LONDON_DAY.format('s.start')} AS day, count(*) AS slots,
               count(*) FILTER (WHERE s.status = 'busy') AS busy, count(*) FILTER (WHERE s.status = 'free') AS free,
               round(count(*) FILTER (WHERE s.status = 'busy') / count(*), 3) AS utilisation
        FROM slot s JOIN schedule sc ON sc.id = s.schedule_id JOIN organization o ON o.id = sc.organization_id
             JOIN practitioner pr ON pr.id = sc.practitioner_id
        GROUP BY ALL""",
}


def schema_statements() -> list[str]:
    """The DDL that creates an empty store."""
    return [table.ddl() for table in TABLES] + [f"CREATE VIEW {name} AS {sql}" for name, sql in VIEWS.items()]
