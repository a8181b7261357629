"""Search for free slots: a practice's free, bookable slots inside a window of at most 14 days, with what they link to.

Rules (GP Connect 1.2.7): `start=ge…` and `end=le…` once each, a date or a dateTime with an offset,
at most 14 whole days apart; `status=free`; `_include=Slot:schedule` required, and Practitioners,
Locations and the Organization added on `_include:recurse`. `searchFilter` by ODS code and organisation
type applies the 1.2.7 restriction rules; filters of other systems and unknown parameters are
ignored. Only slots lying wholly inside the window that the booking window allows (not started yet,
not beyond the scenario's days ahead) are returned, by start; the practice's Organization always comes
with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ...fhir.constants import CS_ORGANISATION_TYPE, ODS_ORGANIZATION
from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import BAD_REQUEST, INVALID_PARAMETER
from ..params import DateParam, date_param, one_value
from ..provider import Provider
from ..times import day_end, day_start

MAX_DAYS = 14
SLOT_SCHEDULE = "Slot:schedule"
PRACTITIONERS, LOCATIONS = "Schedule:actor:Practitioner", "Schedule:actor:Location"
# The suite's booking builder writes the type with the ValueSet URL, so the filter is read with either.
ORGANISATION_TYPE_SYSTEMS = (CS_ORGANISATION_TYPE, CS_ORGANISATION_TYPE.replace("/CodeSystem/", "/ValueSet/"))
T = TypeVar("T")


@dataclass(frozen=True)
class SlotSearch:
    start: int                       # UNIX seconds, inclusive
    end: int
    org_types: frozenset[str]
    ods_codes: frozenset[str]
    includes: frozenset[str]


def _bound(request: GpcRequest, name: str, prefix: str) -> DateParam:
    value = date_param(name, one_value(request, name), allow_time=True)
    if value.prefix != prefix:
        raise INVALID_PARAMETER(f"{name}={value.prefix}{value.text}: {name} takes the prefix {prefix} "
                                f"(e.g. {name}={prefix}2026-11-25), not {value.prefix}", rule="search-date")
    return value


def slot_search(request: GpcRequest) -> SlotSearch:
    """The checked parameters of a slot search; 400 BAD_REQUEST or 422 INVALID_PARAMETER naming what to fix."""
    for name in ("start", "end", "status"):
        if not request.query_values(name):
            raise BAD_REQUEST(f"The {name} parameter is required: Slot?start=ge<date>&end=le<date>&status=free"
                              f"&_include={SLOT_SCHEDULE}", rule="search-parameter")
    includes = request.query_values("_include")
    if SLOT_SCHEDULE not in includes:
        raise BAD_REQUEST(f"_include={SLOT_SCHEDULE} is required: a slot search returns the slots' schedules", rule="slot-include")
    status = one_value(request, "status")
    if status != "free":
        raise INVALID_PARAMETER(f"status={status}: only status=free can be searched", rule="slot-status")
    start, end = _bound(request, "start", "ge"), _bound(request, "end", "le")
    first, last = start.seconds(day_start), end.seconds(day_end)
    days = (end.day - start.day).days
    if last < first or days < 0:
        raise INVALID_PARAMETER(f"end={end.prefix}{end.text} is before start={start.prefix}{start.text}", rule="slot-range")
    if days > MAX_DAYS:
        raise INVALID_PARAMETER(f"start {start.text} to end {end.text} spans {days} days; one search covers at most "
                                f"{MAX_DAYS} days, so search a longer range in several requests", rule="slot-range")
    org_types, ods_codes = set(), set()
    for token in request.query_values("searchFilter"):
        system, _, code = token.partition("|")
        if system in ORGANISATION_TYPE_SYSTEMS and code:
            org_types.add(code)
        elif system == ODS_ORGANIZATION and code:
            ods_codes.add(code)
    included = {*includes, *request.query_values("_include:recurse")}
    return SlotSearch(first, last, frozenset(org_types), frozenset(ods_codes), frozenset(included))


def _known(entries: Mapping[str, T], ids: Iterable[str | None]) -> list[T]:
    """The entries of `ids`, each once and in order, that `entries` holds."""
    return [entries[i] for i in dict.fromkeys(ids) if i is not None and i in entries]


async def search_free_slots(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    search = slot_search(request)
    earliest, latest = provider.window.bounds(request.now)
    directory = provider.directory
    slots = [slot for slot in provider.slots.between(practice.organization_id, search.start, search.end)
             if earliest <= slot.start <= latest and slot.schedule_id in directory.schedules
             and slot.visible_to(search.org_types, search.ods_codes)]
    schedules = _known(directory.schedules, (slot.schedule_id for slot in slots))
    locations = _known(directory.locations, (s.location_id for s in schedules))
    resources = [slot.resource for slot in slots] + [schedule.resource for schedule in schedules]
    if PRACTITIONERS in search.includes:
        resources += [p.resource for p in _known(directory.practitioners, (s.practitioner_id for s in schedules))]
    if LOCATIONS in search.includes:
        resources += [location.resource for location in locations]
    resources += [o.resource for o in _known(directory.organizations, (loc.organization_id for loc in locations))]
    return GpcResponse(searchset(resources, request.response_format, request.now, request.service_root, "Slot"),
                       offered=tuple(slot.id for slot in slots))
