"""Checks on an Appointment a consumer sends: STU3 structure, elements GP Connect forbids, text limits, changes.

Every failure is 422 INVALID_RESOURCE with diagnostics naming the element, except where the spec or
the assurance suite asks for another code (noted at the check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

from ..fhir.constants import EXT_CANCELLATION_REASON, PROFILE, TEXT_LIMITS
from .errors import INVALID_RESOURCE
from ..fhir.model_check import model_problem
from .shapes import objects
from .times import seconds

FORBIDDEN = ("reason", "specialty", "appointmentType", "indication", "supportingInformation", "incomingReferral",
             "requestedPeriod")
INSTANTS = ("start", "end", "created")
NOT_COMPARED = ("resourceType", "id", "meta", "text")


def check_appointment(resource: Mapping) -> None:
    """The body is a FHIR STU3 Appointment on the GP Connect profile, without the elements GP Connect forbids."""
    if resource.get("resourceType") != "Appointment":
        raise INVALID_RESOURCE(f"The body is a {resource.get('resourceType')}; send an Appointment")
    problem = model_problem("Appointment", resource)
    if problem:
        raise INVALID_RESOURCE(f"The Appointment is not valid FHIR STU3: {problem}")
    for n, identifier in enumerate(objects(resource.get("identifier"), "Appointment.identifier")):
        if not all(isinstance(identifier.get(k), str) and identifier[k].strip() for k in ("system", "value")):
            raise INVALID_RESOURCE(f"Appointment.identifier[{n}] needs both a system and a value "
                                   "(GPConnect-Appointment-1: identifier.system 1..1, identifier.value 1..1)")
    if PROFILE["Appointment"] not in (resource.get("meta") or {}).get("profile", ()):
        raise INVALID_RESOURCE(f"Appointment.meta.profile must hold {PROFILE['Appointment']}")
    for name in FORBIDDEN:
        if name in resource:
            raise INVALID_RESOURCE(f"Appointment.{name} must not be sent to a GP Connect provider")
    check_texts(resource)
    for reference in _references(resource):
        if "://" in reference or reference.startswith("urn:"):
            raise INVALID_RESOURCE(f"The reference {reference} is absolute; GP Connect references are relative, "
                                   "e.g. Patient/1")


def check_texts(resource: Mapping) -> None:
    """The description is there, and the texts within their limits."""
    if not (resource.get("description") or "").strip():
        raise INVALID_RESOURCE("Appointment.description is required (at most 100 characters)")
    for name, limit in TEXT_LIMITS.items():
        if len(resource.get(name) or "") > limit:
            raise INVALID_RESOURCE(f"Appointment.{name} has {len(resource[name])} characters; at most {limit} are allowed")


def as_stored_but(sent: Mapping, stored: Mapping, may_change: Iterable[str]) -> bool:
    """Whether `sent` is the `stored` Appointment as read, apart from non-blank strings in `may_change` and a
    cancellation reason: such a body is as valid as the stored resource, which passed every check when stored."""
    for name, value in sent.items():
        if name in may_change:
            if not (isinstance(value, str) and value.strip()):
                return False
        elif name == "extension":
            if not isinstance(value, list):
                return False
            reasons = [e for e in value if isinstance(e, dict) and e.get("url") == EXT_CANCELLATION_REASON]
            if any(set(e) != {"url", "valueString"} or not isinstance(e["valueString"], str) for e in reasons):
                return False
            if _canonical(name, [e for e in value if e not in reasons]) != _canonical(name, stored.get(name) or []):
                return False
        elif name not in stored or _canonical(name, value) != _canonical(name, stored[name]):
            return False
    return True


def _references(value) -> Iterable[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _canonical(name: str, value) -> object:
    """A value as compared: instants as UNIX seconds, lists (participants, slots…) in any order."""
    if name in INSTANTS and isinstance(value, str):
        try:
            return seconds(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return sorted(orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def changed_elements(sent: Mapping, stored: Mapping, may_change: Iterable[str]) -> list[str]:
    """The elements `sent` changes from `stored`, besides `may_change`; an element left out is unchanged.

    The cancellation-reason extension is left to the caller.
    """
    ignored = {*NOT_COMPARED, *may_change}
    changed = []
    for name in sent:
        if name in ignored:
            continue
        sent_value, stored_value = sent[name], stored.get(name)
        if name == "extension":
            sent_value = [e for e in sent_value or () if e.get("url") != EXT_CANCELLATION_REASON]
            stored_value = [e for e in stored_value or () if e.get("url") != EXT_CANCELLATION_REASON]
        if _canonical(name, sent_value) != _canonical(name, stored_value):
            changed.append(name)
    return changed
