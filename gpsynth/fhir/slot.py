"""GPConnect-Slot-1, rendered straight to JSON bytes: slots are most of every dataset.

Everything but id, status, channel and times is shared per schedule, so a slot is a few string
joins. `render` is the readable dict form; the tests check both give the same JSON.
"""

from __future__ import annotations

import orjson

from ..records import Schedule, Slot
from .common import delivery_channel_extension, meta, reference


def render(slot: Slot, schedule: Schedule, last_updated: str) -> dict:
    return {
        "resourceType": "Slot",
        "id": slot.id,
        "meta": meta("Slot", last_updated),
        "extension": [delivery_channel_extension(slot.delivery_channel)],
        "serviceType": [{"text": schedule.slot_type}],
        "schedule": reference("Schedule", slot.schedule_id),
        "status": slot.status,
        "start": slot.start,
        "end": slot.end,
    }


class SlotWriter:
    """Renders the slots of one schedule to compact JSON, byte-identical to orjson.dumps(render(...))."""

    def __init__(self, schedule: Schedule, last_updated: str):
        dump = lambda value: orjson.dumps(value).decode()  # noqa: E731 - a local shorthand
        self.meta = dump(meta("Slot", last_updated))
        self.service_type = dump([{"text": schedule.slot_type}])
        self.schedule = dump(reference("Schedule", schedule.id))
        self.extensions = {}

    def __call__(self, slot: Slot) -> bytes:
        extension = self.extensions.get(slot.delivery_channel)
        if extension is None:
            extension = self.extensions[slot.delivery_channel] = orjson.dumps([delivery_channel_extension(slot.delivery_channel)]).decode()
        return (f'{{"resourceType":"Slot","id":"{slot.id}","meta":{self.meta},"extension":{extension},'
                f'"serviceType":{self.service_type},"schedule":{self.schedule},"status":"{slot.status}",'
                f'"start":"{slot.start}","end":"{slot.end}"}}').encode()
