"""The fast Slot renderer writes exactly the bytes of the readable dict rendering."""

from __future__ import annotations

from datetime import date

import orjson
import yaml

from gpsynth.fhir import last_updated_for
from gpsynth.fhir.slot import SlotWriter, render
from gpsynth.generate import practice_shard
from gpsynth.plan import make_plan
from gpsynth.scenario import parse_scenario, preset_text

AS_OF = date(2026, 10, 21)  # the horizon holds the autumn clock change


def test_slot_writer_equals_orjson_of_the_dict_rendering():
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"].update(count=1, list_size=200)
    rules["staff"][0]["slot_type"] = 'GP "same day" appointment \\ urgent'  # text that JSON must escape
    plan = make_plan(parse_scenario(rules, "pcn, one practice"), 3, AS_OF)
    shard = practice_shard(plan, plan.practices[0])
    stamp = last_updated_for(AS_OF)
    schedules = {s.id: s for s in shard.schedules}
    writers = {s.id: SlotWriter(s, stamp) for s in shard.schedules}
    assert {slot.status for slot in shard.slots} == {"free", "busy", "busy-unavailable"}
    assert {slot.delivery_channel for slot in shard.slots} == {"In-person", "Telephone", "Video"}
    for slot in shard.slots:
        assert writers[slot.schedule_id](slot) == orjson.dumps(render(slot, schedules[slot.schedule_id], stamp))
