"""The live page at `/`: each practice's appointment book (days × clinicians, free / booked / restricted) and
the latest requests with their verdicts, as one self-contained HTML page that refreshes itself.

The page reads the book through `BookView`, here `ProviderBook`: the store's slots of the practice with
the live book's changes laid over them. `/_gpsynth/live?practice=ODS&part=1` answers the page's changing
part alone, which the page's own script fetches every few seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ... import __version__
from ...calendar import LONDON
from ...templating import render
from ..provider import Provider
from ..times import day_start, london_today
from .journal import JournalLine

LIVE_PATH = "/_gpsynth/live"
DAYS = 7
MOST_DAYS = 14
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class SlotMark:
    start: int                   # UNIX seconds
    state: str                   # free | booked | restricted


@dataclass(frozen=True)
class ClinicianRow:
    schedule_id: str
    clinician: str
    service: str
    days: tuple[tuple[SlotMark, ...], ...]     # one tuple per day shown


class BookView(Protocol):
    def practices(self) -> list[tuple[str, str]]:
        """(ODS code, name) of every practice served."""

    async def book(self, ods: str, first: date, days: int) -> list[ClinicianRow]:
        """The practice's clinicians and their slots on each day from `first`."""


SLOTS_SQL = """
    SELECT s.id, s.schedule_id, epoch(s.start)::BIGINT, s.status, s.bookable,
           len(coalesce(s.restrict_org_types, [])) + len(coalesce(s.restrict_ods_codes, [])) > 0
    FROM slot s JOIN schedule sc ON sc.id = s.schedule_id
    WHERE sc.organization_id = ? AND s.start >= to_timestamp(?) AND s.start < to_timestamp(?)
"""


def state_of(status: str, bookable: bool, restricted: bool) -> str:
    if status != "free":
        return "booked"
    return "restricted" if restricted or not bookable else "free"


def clinician_name(practitioner: bytes | None) -> str | None:
    if practitioner is None:
        return None
    names = orjson.loads(practitioner).get("name") or [{}]
    name = names[0]
    return " ".join([*name.get("prefix", []), *name.get("given", []), name.get("family", "")]).strip() or None


class ProviderBook:
    """The appointment book as the sandbox's provider holds it now."""

    def __init__(self, provider: Provider):
        self.provider = provider

    def practices(self) -> list[tuple[str, str]]:
        return [(ods, practice.name) for ods, practice in self.provider.directory.practices.items()]

    async def book(self, ods: str, first: date, days: int) -> list[ClinicianRow]:
        directory = self.provider.directory
        practice = directory.practices[ods]
        start, end = day_start(first), day_start(first + timedelta(days=days))
        rows = await self.provider.store.read(
            lambda con: con.execute(SLOTS_SQL, [practice.organization_id, start, end]).fetchall())
        slots = {slot_id: (schedule_id, when, state_of(status, bookable, restricted))
                 for slot_id, schedule_id, when, status, bookable, restricted in rows}
        for (kind, slot_id), live in self.provider.book.entries.items():
            if kind == "Slot" and slot_id in slots:
                schedule_id, when, _ = slots[slot_id]
                columns = live.row.columns
                slots[slot_id] = (schedule_id, when, state_of(columns.get("status", "free"), columns.get("bookable", True),
                                                              bool(columns.get("restrict_org_types")
                                                                   or columns.get("restrict_ods_codes"))))
        by_schedule: dict[str, list[list[SlotMark]]] = {}
        for schedule_id, when, state in slots.values():
            day = (datetime.fromtimestamp(when, LONDON).date() - first).days
            by_schedule.setdefault(schedule_id, [[] for _ in range(days)])[day].append(SlotMark(when, state))
        found = []
        for schedule_id, per_day in by_schedule.items():
            schedule = directory.schedules.get(schedule_id)
            practitioner = directory.practitioners.get(schedule.practitioner_id) if schedule and schedule.practitioner_id else None
            name = clinician_name(practitioner.resource if practitioner else None) or f"Schedule/{schedule_id}"
            found.append(ClinicianRow(schedule_id, name, (schedule.schedule_type if schedule else None) or "",
                                      tuple(tuple(sorted(day, key=lambda mark: mark.start)) for day in per_day)))
        return sorted(found, key=lambda row: (row.clinician, row.schedule_id))


def _time(instant: int) -> str:
    return datetime.fromtimestamp(instant, LONDON).strftime("%H:%M")


def slot_strip(marks: Sequence[SlotMark]) -> Markup:
    """A day's slots of one clinician as small coloured marks, each titled with its time and state."""
    return Markup("".join(f'<i class="{m.state}" title="{_time(m.start)} {m.state}"></i>' for m in marks))


def counts(rows: Iterable[ClinicianRow]) -> dict[str, int]:
    found = {"free": 0, "booked": 0, "restricted": 0}
    for row in rows:
        for day in row.days:
            for mark in day:
                found[mark.state] += 1
    return found


class LivePage:
    def __init__(self, view: BookView, clock):
        self.view, self.clock = view, clock

    async def response(self, request: Request, latest: Iterable[JournalLine]) -> HTMLResponse:
        practices = self.view.practices()
        known = dict(practices)
        asked = request.query_params.get("practice") or (practices[0][0] if practices else None)
        ods = asked if asked in known else None
        try:
            days = min(max(int(request.query_params.get("days", DAYS)), 1), MOST_DAYS)
        except ValueError:
            days = DAYS
        first = london_today(self.clock())
        rows = await self.view.book(ods, first, days) if ods else []
        values = {
            "practices": practices, "ods": ods, "name": known[ods] if ods else None, "rows": rows, "counts": counts(rows),
            "days": days, "day_labels": [(first + timedelta(days=n)).strftime("%a %d %b") for n in range(days)],
            "requests": list(reversed(list(latest))), "slot_strip": slot_strip, "version": __version__,
            "refresh_ms": REFRESH_SECONDS * 1000, "live_path": LIVE_PATH,
            "updated": datetime.fromtimestamp(self.clock(), LONDON).strftime("%H:%M:%S")}
        part = request.url.path == LIVE_PATH and request.query_params.get("part") == "1"
        html = render("live_part.html.j2" if part else "live.html.j2", **values)
        status = 404 if asked is not None and ods is None else 200
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
