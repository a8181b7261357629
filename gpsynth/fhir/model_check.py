"""The STU3 model check of a resource a consumer sends, as one line saying what is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

import orjson
from fhir.resources.STU3 import get_fhir_model_class
from fhir.resources.STU3.resource import Resource
from fhir_core.types import Instant
from pydantic import ValidationError


def model_problem(resource_type: str, resource: object) -> str | None:
    """The first thing the fhir.resources STU3 model finds wrong with `resource` (`Type.element.path: message`), or None.

    Contained resources (a booking's organisation) are checked on their own, each once for all requests
    that send it (a consumer sends the same one every time), and Appointments as their skeleton (see
    `appointment_skeleton`): the model check is the dearest part of a booking."""
    if not isinstance(resource, dict):
        return _problem(resource_type, resource)
    if "contained" in resource:
        keys = _contained_keys(resource["contained"])
        if keys is None:
            return _problem(resource_type, resource)
        for n, key in enumerate(keys):
            problem = _contained_problem(key)
            if problem:
                return f"{resource_type}.contained.{n}{problem}"
        resource = {name: value for name, value in resource.items() if name != "contained"}
    if resource_type == "Appointment":
        try:
            return _skeleton_problem(orjson.dumps(appointment_skeleton(resource)))
        except orjson.JSONEncodeError:      # e.g. integers JSON cannot carry: the whole model says what is wrong
            pass
    return _problem(resource_type, resource)


# The Appointment elements that differ from one booking to the next, by the FHIR type the model checks them as.
INSTANTS = ("start", "end", "created")      # created is a dateTime, which every instant also is
TEXTS = ("description", "comment")
# Values the models certainly accept, put in their place when the values sent certainly pass too.
SOME_INSTANT, SOME_TEXT = "2000-01-01T00:00:00+00:00", "x"
_PLAIN_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(Z|[+-]\d{2}:\d{2})")
_PRINTABLE = re.compile(r"[!-~]")


def appointment_skeleton(appointment: dict) -> dict:
    """The Appointment with each instant, text and reference the model surely accepts replaced by one it accepts
    too, so bookings that differ only in those share one model check (each element is checked on its own)."""
    skeleton = dict(appointment)
    for name in INSTANTS:
        if _sure_instant(skeleton.get(name)):
            skeleton[name] = SOME_INSTANT
    for name in TEXTS:
        if _sure_text(skeleton.get(name)):
            skeleton[name] = SOME_TEXT
    if isinstance(skeleton.get("slot"), list):
        skeleton["slot"] = [_sure_reference(item) for item in skeleton["slot"]]
    if isinstance(skeleton.get("participant"), list):
        skeleton["participant"] = [
            {**item, "actor": _sure_reference(item["actor"])} if isinstance(item, dict) and "actor" in item else item
            for item in skeleton["participant"]]
    return skeleton


def _sure_instant(value: object) -> bool:
    if not isinstance(value, str) or not _PLAIN_INSTANT.fullmatch(value) or not Instant.pattern.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)          # a real day of a real month
    except ValueError:
        return False
    return True


def _sure_text(value: object) -> bool:
    return isinstance(value, str) and _PRINTABLE.search(value) is not None


def _sure_reference(item: object) -> object:
    if isinstance(item, dict) and set(item) == {"reference"} and _sure_text(item["reference"]):
        return {"reference": SOME_TEXT}
    return item


@lru_cache(maxsize=1024)
def _skeleton_problem(skeleton: bytes) -> str | None:
    return _problem("Appointment", orjson.loads(skeleton))


def _contained_keys(contained: object) -> list[bytes] | None:
    """Each contained resource as JSON in its own key order (the models report the first wrong key, so the order
    is part of the answer), or None unless there are some, all of types the models know."""
    if not isinstance(contained, list) or not contained or not all(_known_resource(item) for item in contained):
        return None
    try:
        return [orjson.dumps(item) for item in contained]
    except orjson.JSONEncodeError:      # e.g. integers JSON cannot carry: the whole model says what is wrong
        return None


def _known_resource(item: object) -> bool:
    if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
        return False
    try:
        return issubclass(get_fhir_model_class(item["resourceType"]), Resource)
    except ValueError:      # not a type the models know
        return False


@lru_cache(maxsize=1024)
def _contained_problem(item: bytes) -> str | None:
    """What is wrong with a contained resource, after its type's name (`.name: message`), or None."""
    resource = orjson.loads(item)
    problem = _problem(resource["resourceType"], resource)
    return None if problem is None else problem.removeprefix(resource["resourceType"])


def _problem(resource_type: str, resource: object) -> str | None:
    try:
        get_fhir_model_class(resource_type).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        return ".".join(str(part) for part in (resource_type, *first["loc"])) + f": {first['msg']}"
    except (TypeError, ValueError, LookupError, RecursionError) as exc:
        # Some malformed input trips the models' own code rather than their validation: still the input's fault.
        return f"not a valid {resource_type} ({exc.__class__.__name__}: {str(exc)[:120]})"
    return None


def warm_up(examples: Iterable[tuple[str, object]]) -> None:
    """Check one example of each type now: the models build their validators on first use, which would
    otherwise fall on the first consumers' requests."""
    for resource_type, resource in examples:
        model_problem(resource_type, resource)
