"""A searchset names each entry from the stored JSON, whether or not it starts with resourceType and id."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from gpsynth.sandbox.bundles import searchset
from gpsynth.sandbox.negotiation import Format

ids = st.from_regex(r"[A-Za-z0-9.-]{1,64}", fullmatch=True)


@given(slot_id=ids, schedule_id=ids, id_first=st.booleans(), fmt=st.sampled_from([Format.JSON, Format.XML]))
def test_entries_are_named_as_a_full_parse_names_them(slot_id, schedule_id, id_first, fmt):
    slot = {"resourceType": "Slot", "id": slot_id, "status": "free"}
    schedule = {"id": schedule_id, "resourceType": "Schedule"} if id_first else {"resourceType": "Schedule",
                                                                                   "id": schedule_id}
    bundle = searchset([orjson.dumps(slot), orjson.dumps(schedule)], fmt, 1_796_342_400, "https://x/gpc", "Slot")
    entries = orjson.loads(orjson.dumps(bundle))["entry"]
    assert [e["fullUrl"] for e in entries] == [f"https://x/gpc/Slot/{slot_id}", f"https://x/gpc/Schedule/{schedule_id}"]
    assert [e["search"]["mode"] for e in entries] == ["match", "include"] and bundle["total"] == 1
    assert [e["resource"] for e in entries] == [slot, schedule]
