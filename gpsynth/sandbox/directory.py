"""The directory: practices, organisations, locations, practitioners and schedules, held in memory.

These tables are small (a few rows per practice) and read by almost every interaction, so they are
loaded once and loaded again after a change that can touch them (an administration load, a roll).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from ..store.live_rows import LiveRow


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored resource with the typed columns the interactions look things up by."""

    id: str
    version_id: int
    resource: bytes
    organization_id: str | None = None
    key: str | None = None              # ODS code, SDS user id: what find-by-identifier matches


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    id: str
    version_id: int
    resource: bytes
    organization_id: str | None
    practitioner_id: str | None
    location_id: str | None
    role_code: str | None
    schedule_type: str | None


@dataclass(frozen=True)
class Practice:
    """A practice served at /{ods_code}/STU3/1/gpconnect: its Organization and its main Location."""

    ods_code: str
    shard: int                       # its rows' shard in the store: every lookup of its rows names it
    organization_id: str
    name: str
    main_location_id: str | None

    def holds(self, row: LiveRow) -> bool:
        """Whether a stored patient or appointment is this practice's."""
        return row.columns.get("organization_id") == self.organization_id


@dataclass(frozen=True)
class Directory:
    practices: Mapping[str, Practice] = field(default_factory=dict)          # by ODS code
    organizations: Mapping[str, Entry] = field(default_factory=dict)
    locations: Mapping[str, Entry] = field(default_factory=dict)
    practitioners: Mapping[str, Entry] = field(default_factory=dict)
    schedules: Mapping[str, ScheduleEntry] = field(default_factory=dict)

    def organizations_with_ods(self, ods_code: str) -> list[Entry]:
        return [entry for entry in self.organizations.values() if entry.key == ods_code]

    def practitioners_with_sds_id(self, organization_id: str, sds_user_id: str) -> list[Entry]:
        return [e for e in self.practitioners.values() if e.organization_id == organization_id and e.key == sds_user_id]


PRACTICES_SQL = """
    SELECT s.practice_ods, s.shard, o.id, o.name, coalesce(o.main_location_id,
           (SELECT min_by(l.id, l.seq) FROM location l WHERE l.organization_id = o.id))
    FROM shard s JOIN organization o ON o.ods_code = s.practice_ods
    WHERE s.shard > 0
    ORDER BY s.shard, o.seq
"""


def _entries(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Entry]:
    return {row[0]: Entry(row[0], row[1], row[2].encode(), *row[3:]) for row in con.execute(sql).fetchall()}


def load_directory(con: duckdb.DuckDBPyConnection) -> Directory:
    practices: dict[str, Practice] = {}
    for row in con.execute(PRACTICES_SQL).fetchall():
        practices.setdefault(row[0], Practice(*row))
    schedules = {row[0]: ScheduleEntry(row[0], row[1], row[2].encode(), *row[3:]) for row in con.execute(
        "SELECT id, version_id, resource, organization_id, practitioner_id, location_id, role_code, schedule_type "
        "FROM schedule").fetchall()}
    return Directory(
        practices=practices,
        organizations=_entries(con, "SELECT id, version_id, resource, id, ods_code FROM organization"),
        locations=_entries(con, "SELECT id, version_id, resource, organization_id FROM location"),
        practitioners=_entries(con, "SELECT id, version_id, resource, organization_id, sds_user_id FROM practitioner"),
        schedules=schedules,
    )
