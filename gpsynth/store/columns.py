"""Typed store columns read back from a FHIR resource: the inverse of the renderers, for resources written later.

`derive_columns` gives the columns a resource states itself. Columns that come from another resource
(a Schedule's practice is its Location's; an Appointment's schedule is its first Slot's) and columns
no FHIR element carries (a Slot's restrictions, a Practitioner's staff role) are left out: the
writer fills them from the store (see gpsynth.store.upsert). Instants and dates stay ISO 8601 text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..errors import GpsynthError
from ..fhir import constants as c
from ..fhir.reading import coding_code, contained, extension, identifier_value, reference_id

SENSITIVE_CODE = "R"


def instant(value: str | None, where: str) -> str | None:
    """An ISO 8601 dateTime with a UTC offset, as given; GpsynthError for anything else."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise GpsynthError(f"{where} {value!r} is not an ISO 8601 dateTime") from None
    if parsed.tzinfo is None:
        raise GpsynthError(f"{where} {value!r} has no UTC offset")
    return value


def day(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except (TypeError, ValueError):
        raise GpsynthError(f"{where} {value!r} is not a date YYYY-MM-DD") from None


def _first(values: list[Any] | None) -> Any:
    """The first item of a JSON array, or None when it is absent or empty."""
    return values[0] if values else None


def organization(r: Mapping) -> dict:
    main = extension(r, c.EXT_MAIN_LOCATION)
    return {"ods_code": identifier_value(r, c.ODS_ORGANIZATION), "name": r.get("name"),
            "org_type": coding_code(_first(r.get("type"))),
            "main_location_id": reference_id(main.get("valueReference") if main else None, "Location")}


def location(r: Mapping) -> dict:
    return {"name": r.get("name"), "organization_id": reference_id(r.get("managingOrganization"), "Organization"),
            "ods_site_code": identifier_value(r, c.ODS_SITE)}


def practitioner(r: Mapping) -> dict:
    name = _first(r.get("name")) or {}
    return {"sds_user_id": identifier_value(r, c.SDS_USER_ID),
            "role_profile_ids": [i["value"] for i in r.get("identifier") or ()
                                 if i.get("system") == c.SDS_ROLE_PROFILE_ID and i.get("value")],
            "family": name.get("family"), "given": _first(name.get("given")), "prefix": _first(name.get("prefix")) or "",
            "gender": r.get("gender")}


def schedule(r: Mapping) -> dict:
    actors = r.get("actor") or ()
    role = extension(r, c.EXT_PRACTITIONER_ROLE)
    horizon = r.get("planningHorizon") or {}
    return {"practitioner_id": next(filter(None, (reference_id(a, "Practitioner") for a in actors)), None),
            "location_id": next(filter(None, (reference_id(a, "Location") for a in actors)), None),
            "role_code": coding_code(role.get("valueCodeableConcept")) if role else None,
            "schedule_type": (r.get("serviceCategory") or {}).get("text"),
            "planning_start": day(horizon.get("start"), "Schedule.planningHorizon.start"),
            "planning_end": day(horizon.get("end"), "Schedule.planningHorizon.end")}


def slot(r: Mapping) -> dict:
    channel = extension(r, c.EXT_DELIVERY_CHANNEL)
    return {"schedule_id": reference_id(r.get("schedule"), "Schedule"), "start": instant(r.get("start"), "Slot.start"),
            "end": instant(r.get("end"), "Slot.end"), "status": r.get("status"),
            "delivery_channel": channel.get("valueCode") if channel else None}


def patient_state(r: Mapping) -> str:
    if r.get("deceasedDateTime") or r.get("deceasedBoolean"):
        return "deceased"
    if any(s.get("code") == SENSITIVE_CODE for s in (r.get("meta") or {}).get("security") or ()):
        return "sensitive"
    return "inactive" if r.get("active") is False else "normal"


def patient(r: Mapping) -> dict:
    nhs: Mapping = next((i for i in r.get("identifier") or () if i.get("system") == c.NHS_NUMBER), {})
    verification = extension(nhs, c.EXT_NHS_NUMBER_VERIFICATION)
    name = next((n for n in r.get("name") or () if n.get("use") == "official"), _first(r.get("name")) or {})
    registration = extension(r, c.EXT_REGISTRATION_DETAILS) or {}
    period = (extension(registration, "registrationPeriod") or {}).get("valuePeriod") or {}
    registration_type = extension(registration, "registrationType")
    branch = extension(registration, "preferredBranchSurgery")
    return {"nhs_number": nhs.get("value"),
            "verification_status": coding_code(verification.get("valueCodeableConcept")) if verification else None,
            "family": name.get("family"), "given": _first(name.get("given")), "prefix": _first(name.get("prefix")) or "",
            "gender": r.get("gender"), "birth_date": day(r.get("birthDate"), "Patient.birthDate"),
            "organization_id": reference_id(r.get("managingOrganization"), "Organization"),
            "general_practitioner_id": reference_id(_first(r.get("generalPractitioner")), "Practitioner"),
            "preferred_location_id": reference_id(branch.get("valueReference") if branch else None, "Location"),
            "registration_start": day(period.get("start"), "registrationPeriod.start"),
            "registration_end": day(period.get("end"), "registrationPeriod.end"),
            "registration_type": coding_code(registration_type.get("valueCodeableConcept")) if registration_type else None,
            "state": patient_state(r), "deceased_at": instant(r.get("deceasedDateTime"), "Patient.deceasedDateTime")}


def appointment(r: Mapping) -> dict:
    actors = [p.get("actor") for p in r.get("participant") or ()]
    booking = extension(r, c.EXT_BOOKING_ORGANISATION)
    booking_org = contained(r, booking.get("valueReference")) if booking else {}
    role, channel = extension(r, c.EXT_PRACTITIONER_ROLE), extension(r, c.EXT_DELIVERY_CHANNEL)
    reason = extension(r, c.EXT_CANCELLATION_REASON)
    return {"status": r.get("status"), "start": instant(r.get("start"), "Appointment.start"),
            "end": instant(r.get("end"), "Appointment.end"), "minutes_duration": r.get("minutesDuration"),
            "slot_ids": [i for i in (reference_id(s, "Slot") for s in r.get("slot") or ()) if i],
            "patient_id": next(filter(None, (reference_id(a, "Patient") for a in actors)), None),
            "practitioner_id": next(filter(None, (reference_id(a, "Practitioner") for a in actors)), None),
            "location_id": next(filter(None, (reference_id(a, "Location") for a in actors)), None),
            "role_code": coding_code(role.get("valueCodeableConcept")) if role else None,
            "delivery_channel": channel.get("valueCode") if channel else None,
            "schedule_type": (r.get("serviceCategory") or {}).get("text"),
            "slot_type": (_first(r.get("serviceType")) or {}).get("text"),
            "booking_ods_code": identifier_value(booking_org, c.ODS_ORGANIZATION),
            "booking_org_type": coding_code(_first(booking_org.get("type"))),
            "description": r.get("description"), "comment": r.get("comment"),
            "created": instant(r.get("created"), "Appointment.created"),
            "cancellation_reason": reason.get("valueString") if reason else None}


DERIVE: dict[str, Callable[[Mapping], dict]] = {
    "Organization": organization, "Location": location, "Practitioner": practitioner, "Schedule": schedule,
    "Slot": slot, "Patient": patient, "Appointment": appointment,
}


def derive_columns(resource_type: str, resource: Mapping) -> dict:
    """The typed columns `resource` states itself; GpsynthError naming the element when one is malformed."""
    if resource_type not in DERIVE:
        raise GpsynthError(f"no store table for resource type {resource_type!r}; allowed: {', '.join(DERIVE)}")
    return DERIVE[resource_type](resource)
