"""Amend and cancel: the checks they share, and the appointment an update applies to.

An update names its appointment in the URL and carries the whole resource, as read and edited. As
the live book holds it at the moment of the change, it must be the practice's appointment (404), at
the version If-Match names (409 FHIR_CONSTRAINT_VIOLATION), still booked and not yet started (422
INVALID_RESOURCE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from ..store.live_rows import LiveRow

from .appointment_checks import as_stored_but, check_appointment, check_texts
from .context import GpcRequest
from .directory import Practice
from .errors import BAD_REQUEST, FHIR_CONSTRAINT_VIOLATION, INVALID_RESOURCE, NO_RECORD_FOUND
from .times import london_instant, seconds


@dataclass(frozen=True)
class Stored:
    resource: dict
    row: LiveRow


def check_update_body(request: GpcRequest, row: LiveRow | None, may_change: tuple[str, ...]) -> Mapping:
    """The body of an amend or cancel: an Appointment with the id of the URL. A body that is the stored appointment
    (`row`) as read, apart from what the interaction may change, is not put through the STU3 model again."""
    sent = request.sent_resource
    url_id = request.path_params["id"]
    if row is not None and sent.get("id") == url_id and as_stored_but(sent, orjson.loads(row.resource), may_change):
        check_texts(sent)
    else:
        check_appointment(sent)
    if sent.get("id") != url_id:
        raise BAD_REQUEST(f"Appointment.id {sent.get('id')} must equal the id in the URL, {url_id}")
    return sent


def updatable(row: LiveRow | None, request: GpcRequest, practice: Practice, action: str) -> Stored:
    """The appointment `action` (amended, cancelled) applies to, after the shared checks."""
    appointment_id = request.path_params["id"]
    if row is None or not practice.holds(row):
        raise NO_RECORD_FOUND(f"No appointment of {practice.ods_code} has the logical id {appointment_id}")
    if request.if_match is not None and request.if_match != str(row.version_id):
        raise FHIR_CONSTRAINT_VIOLATION(f"If-Match names version {request.if_match} of Appointment/{appointment_id}, "
                                        f"but the current version is {row.version_id}; read it again and resend",
                                        headers={"ETag": f'W/"{row.version_id}"'})
    start = seconds(row.columns["start"])
    if start <= request.now:
        raise INVALID_RESOURCE(f"Appointment/{appointment_id} started at {london_instant(start)}; "
                               f"only future appointments can be {action}")
    status = row.columns.get("status")
    if status != "booked":
        raise INVALID_RESOURCE(f"Appointment/{appointment_id} is {status}; only booked appointments can be {action}")
    return Stored(orjson.loads(row.resource), row)
