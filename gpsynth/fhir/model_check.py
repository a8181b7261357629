"""The STU3 model check of a resource a consumer sends, as one line saying what is wrong."""

from __future__ import annotations

from collections.abc import Iterable

from fhir.resources.STU3 import get_fhir_model_class
from pydantic import ValidationError


def model_problem(resource_type: str, resource: object) -> str | None:
    """The first thing the fhir.resources STU3 model finds wrong with `resource` (`Type.element.path: message`), or None."""
    try:
        get_fhir_model_class(resource_type).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        return ".".join(str(part) for part in (resource_type, *first["loc"])) + f": {first['msg']}"
    except (TypeError, ValueError, RecursionError) as exc:
        # Some malformed input trips the models' own code rather than their validation: still the input's fault.
        return f"not a valid {resource_type} ({exc.__class__.__name__}: {str(exc)[:120]})"
    return None


def warm_up(examples: Iterable[tuple[str, object]]) -> None:
    """Check one example of each type now: the models build their validators on first use, which would
    otherwise fall on the first consumers' requests."""
    for resource_type, resource in examples:
        model_problem(resource_type, resource)
