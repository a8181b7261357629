"""Rolling the horizon: move a store's appointment book forward to today without losing anything in it.

A store holds `horizon_days` of slots from its `as_of` date. To roll it to a later day, the same
scenario (the store's `scenario_yaml`) and seed are generated again at the new reference date, and
for each practice of the store the days beyond the old horizon are taken from that generation: their
slots and the appointments booked into them, by the same rules (fill rate by days ahead, restrictions,
consumer bookings). Nothing already stored is changed or removed, so every booking, amendment and
cancellation made through the sandbox stays, and the history grows day by day. The new rows get
fresh ids, numbered on from the highest of their practice (`<ODS>-S<n>`, `<ODS>-A<n>`), because a
generation at another date numbers its slots differently. Each schedule's planning horizon is
extended to the new last day, and the dataset's `as_of` records the new reference date.

Regenerating is CPU work done outside the writer (`regenerate`); only `apply_roll` writes, in one
transaction. `gpsynth refresh` rolls a store on disk; `gpsynth serve --roll` rolls the store it serves.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import duckdb
import orjson
import pyarrow as pa

from .calendar import DAY_END, LONDON, london_instant
from .fhir import last_updated_for, render_shard
from .generate import practice_shard
from .plan import make_plan
from .records import Shard
from .scenario import scenario_from_text
from .store import StoreInfo, store_info, update_resource
from .store.ids import highest_number
from .store.rows import shard_rows
from .store.schema import RESOURCE_TABLES


@dataclass(frozen=True)
class PracticeDays:
    """One practice's new days, as regenerated: schedules (for rendering), slots and appointments."""

    ods_code: str
    shard: Shard


@dataclass(frozen=True)
class Regenerated:
    previous_as_of: date
    as_of: date
    old_last_day: date
    new_last_day: date
    practices: tuple[PracticeDays, ...] = ()


@dataclass(frozen=True)
class Rolled:
    """What a roll added: days beyond the old horizon, and their slots and appointments per practice."""

    previous_as_of: date
    as_of: date
    days: int = 0
    slots: int = 0
    appointments: int = 0
    by_practice: dict[str, tuple[int, int]] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.days:
            return f"already current (as of {self.as_of})"
        return (f"rolled from {self.previous_as_of} to {self.as_of}: {self.days} new days, "
                f"{self.slots:,} slots, {self.appointments:,} appointments")


def seconds_to_midnight(now: float) -> float:
    """Seconds from `now` to the next midnight in London."""
    here = datetime.fromtimestamp(now, LONDON)
    midnight = datetime.combine(here.date() + timedelta(days=1), time(0), tzinfo=LONDON)
    return midnight.timestamp() - now


def regenerate(info: StoreInfo, today: date) -> Regenerated:
    """The store's scenario generated again at `today`: each practice's slots and appointments on the new days."""
    if not info.scenario_yaml.strip():     # a store filled by loads, not generated: no rules to roll by
        return Regenerated(info.as_of, info.as_of, info.as_of, info.as_of)
    scenario = scenario_from_text(info.scenario_yaml, "the store's scenario_yaml")
    old_last = info.as_of + timedelta(days=scenario.calendar.horizon_days - 1)
    new_last = today + timedelta(days=scenario.calendar.horizon_days - 1)
    if new_last <= old_last:
        return Regenerated(info.as_of, info.as_of, old_last, old_last)
    plan = make_plan(scenario, info.seed, today)
    practices = []
    for practice in plan.practices:
        shard = practice_shard(plan, practice)
        new_slots = [slot for slot in shard.slots if slot.start[:10] > old_last.isoformat()]
        new_ids = {slot.id for slot in new_slots}
        new_appointments = [a for a in shard.appointments if new_ids.issuperset(a.slot_ids)]
        practices.append(PracticeDays(practice.ods_code, Shard(practice.ods_code, schedules=shard.schedules,
                                                               slots=new_slots, appointments=new_appointments)))
    return Regenerated(info.as_of, today, old_last, new_last, tuple(practices))


def _renumbered(con: duckdb.DuckDBPyConnection, days: PracticeDays) -> Shard:
    """The practice's new slots and appointments with ids after the highest the store holds."""
    ods = days.ods_code
    slot_base = highest_number(con, "Slot", f"{ods}-S")
    appointment_base = highest_number(con, "Appointment", f"{ods}-A")
    slot_ids = {slot.id: f"{ods}-S{slot_base + n}" for n, slot in enumerate(days.shard.slots, 1)}
    slots = [dataclasses.replace(slot, id=slot_ids[slot.id]) for slot in days.shard.slots]
    appointments = [dataclasses.replace(a, id=f"{ods}-A{appointment_base + n}",
                                        slot_ids=tuple(slot_ids[i] for i in a.slot_ids))
                    for n, a in enumerate(days.shard.appointments, 1)]
    return Shard(ods, schedules=days.shard.schedules, slots=slots, appointments=appointments)


def _insert(con: duckdb.DuckDBPyConnection, shard_number: int, shard: Shard, last_updated: str) -> None:
    rows = shard_rows(shard_number, shard, render_shard(shard, last_updated), last_updated)
    for resource_type in ("Slot", "Appointment"):
        table = rows.tables[resource_type]
        if not table.num_rows:
            continue
        name = RESOURCE_TABLES[resource_type].name
        first = con.execute(f"SELECT coalesce(max(seq), 0) + 1 FROM {name} WHERE shard = ?", [shard_number]).fetchall()[0][0]
        seq = pa.array(range(first, first + table.num_rows), pa.int64())
        con.from_arrow(table.set_column(table.schema.get_field_index("seq"), "seq", seq)).insert_into(name)


def _extend_schedules(con: duckdb.DuckDBPyConnection, ods: str, new_last: date, last_updated: str) -> None:
    rows = con.execute("SELECT sc.resource FROM schedule sc JOIN organization o ON o.id = sc.organization_id "
                       "WHERE o.ods_code = ? AND (sc.planning_end IS NULL OR sc.planning_end < ?)",
                       [ods, new_last]).fetchall()
    for (text,) in rows:
        resource = orjson.loads(text)
        horizon = {**resource.get("planningHorizon", {}), "end": london_instant(new_last, DAY_END)}
        update_resource(con, "Schedule", {**resource, "planningHorizon": horizon}, last_updated, planning_end=new_last)


def apply_roll(con: duckdb.DuckDBPyConnection, regenerated: Regenerated) -> Rolled:
    """Add the regenerated days to the store and record the new reference date (run in a transaction)."""
    if regenerated.new_last_day <= regenerated.old_last_day:
        return Rolled(regenerated.previous_as_of, regenerated.as_of)
    shards = dict(con.execute("SELECT practice_ods, shard FROM shard WHERE shard > 0").fetchall())
    last_updated = last_updated_for(regenerated.as_of)
    slots = appointments = 0
    by_practice: dict[str, tuple[int, int]] = {}
    for practice in regenerated.practices:
        if practice.ods_code not in shards:
            continue
        shard = _renumbered(con, practice)
        _insert(con, shards[practice.ods_code], shard, last_updated)
        _extend_schedules(con, practice.ods_code, regenerated.new_last_day, last_updated)
        slots, appointments = slots + len(shard.slots), appointments + len(shard.appointments)
        by_practice[practice.ods_code] = (len(shard.slots), len(shard.appointments))
    con.execute("UPDATE dataset SET as_of = ?", [regenerated.as_of]).fetchall()
    days = (regenerated.new_last_day - regenerated.old_last_day).days
    return Rolled(regenerated.previous_as_of, regenerated.as_of, days, slots, appointments, by_practice)


def roll_store(con: duckdb.DuckDBPyConnection, today: date) -> Rolled:
    """Roll the store on `con` to `today`: regenerate, then apply (call inside a transaction)."""
    return apply_roll(con, regenerate(store_info(con), today))
