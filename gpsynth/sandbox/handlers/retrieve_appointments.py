"""Retrieve a patient's appointments: every appointment (cancelled ones too) starting in a date range from today on."""

from __future__ import annotations

from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..errors import INVALID_PARAMETER, PATIENT_NOT_FOUND
from ..params import date_param
from ..provider import Provider
from ..times import day_end, day_start, london_today

EXAMPLE = "start=ge2026-11-25&start=le2026-12-09"


async def retrieve_appointments(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    values = request.query_values("start")
    if len(values) != 2:
        raise INVALID_PARAMETER(f"Send exactly two start parameters, one ge and one le ({EXAMPLE}); got {len(values)}")
    bounds = {value.prefix: value for value in (date_param("start", raw, allow_time=False) for raw in values)}
    if set(bounds) != {"ge", "le"}:
        raise INVALID_PARAMETER(f"The two start parameters take the prefixes ge and le ({EXAMPLE}), "
                                f"not {' and '.join(v[:2] for v in values)}")
    first, last = bounds["ge"].day, bounds["le"].day
    today = london_today(request.now)
    if first < today:
        raise INVALID_PARAMETER(f"start=ge{first} is in the past; appointments can be retrieved from today ({today}) on")
    if last < first:
        raise INVALID_PARAMETER(f"start=le{last} is before start=ge{first}")
    patient_id = request.path_params["id"]

    def query(con):
        known = con.execute("SELECT count(*) FROM patient WHERE shard = ? AND id = ? AND organization_id = ?",
                            [practice.shard, patient_id, practice.organization_id]).fetchall()[0][0]
        rows = con.execute(
            "SELECT resource FROM appointment WHERE shard = ? AND patient_id = ? AND organization_id = ? "
            "AND start >= to_timestamp(?) AND start <= to_timestamp(?) ORDER BY start, id",
            [practice.shard, patient_id, practice.organization_id, day_start(first), day_end(last)]).fetchall()
        return known, rows

    known, rows = await provider.store.read(query)
    if not known:
        raise PATIENT_NOT_FOUND(f"No patient of {practice.ods_code} has the logical id {patient_id}")
    return GpcResponse(searchset((row[0].encode() for row in rows), request.response_format, request.now,
                                   request.service_root, "Appointment"))
