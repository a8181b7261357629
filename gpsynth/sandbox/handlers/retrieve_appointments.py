"""Retrieve a patient's appointments: every appointment (cancelled ones too) starting in a date range from today on."""

from __future__ import annotations

from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, PATIENT_NOT_FOUND
from ..params import date_param
from ..provider import Provider
from ..times import day_end, day_start, london_today, seconds

EXAMPLE = "start=ge2026-11-25&start=le2026-12-09"


async def retrieve_appointments(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    values = request.query_values("start")
    if len(values) != 2:
        raise INVALID_PARAMETER(f"Send exactly two start parameters, one ge and one le ({EXAMPLE}); got {len(values)}",
                                rule="appointments-range")
    bounds = {value.prefix: value for value in (date_param("start", raw, allow_time=False) for raw in values)}
    if set(bounds) != {"ge", "le"}:
        raise INVALID_PARAMETER(f"The two start parameters take the prefixes ge and le ({EXAMPLE}), "
                                f"not {' and '.join(v[:2] for v in values)}", rule="appointments-range")
    first, last = bounds["ge"].day, bounds["le"].day
    today = london_today(request.now)
    if first < today:
        raise INVALID_PARAMETER(f"start=ge{first} is in the past; appointments can be retrieved from today ({today}) on",
                                rule="appointments-range")
    if last < first:
        raise INVALID_PARAMETER(f"start=le{last} is before start=ge{first}", rule="appointments-range")
    patient_id = request.path_params["id"]
    patient = await provider.book.row("Patient", patient_id)
    if patient is None or not practice.holds(patient):
        raise PATIENT_NOT_FOUND(f"No patient of {practice.ods_code} has the logical id {patient_id}")
    earliest, latest = day_start(first), day_end(last)
    rows = await provider.book.appointments_of(patient_id, earliest)
    found = sorted((seconds(row.columns["start"]), row.id, row.resource) for row in rows
                   if row.columns.get("patient_id") == patient_id
                   and practice.holds(row)
                   and earliest <= seconds(row.columns["start"]) <= latest)
    return GpcResponse(searchset((resource for _, _, resource in found), request.response_format, request.now,
                                 request.service_root, "Appointment"))
