"""The STU3 model check of a resource a consumer sends, as one line saying what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import orjson
from fhir.resources.STU3 import get_fhir_model_class
from fhir.resources.STU3.resource import Resource
from pydantic import ValidationError


def model_problem(resource_type: str, resource: object) -> str | None:
    """The first thing the fhir.resources STU3 model finds wrong with `resource` (`Type.element.path: message`), or None.

    Contained resources (a booking's organisation) are checked on their own, each once for all requests
    that send it: a consumer sends the same one every time."""
    contained = resource.get("contained") if isinstance(resource, dict) else None
    keys = _contained_keys(contained)
    if keys is None:
        return _problem(resource_type, resource)
    for n, key in enumerate(keys):
        problem = _contained_problem(key)
        if problem:
            return f"{resource_type}.contained.{n}{problem}"
    return _problem(resource_type, {name: value for name, value in resource.items() if name != "contained"})


def _contained_keys(contained: object) -> list[bytes] | None:
    """Each contained resource as canonical JSON, or None unless there are some, all of types the models know."""
    if not isinstance(contained, list) or not contained or not all(_known_resource(item) for item in contained):
        return None
    try:
        return [orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in contained]
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
