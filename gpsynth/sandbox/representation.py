"""Version and representation headers: ETag from meta.versionId, If-Match, and Prefer: return=…."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from gpsynth.sandbox.errors import BAD_REQUEST

_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')


class Prefer(enum.Enum):
    """What a successful create or update returns: the resource (the default) or an empty body."""

    REPRESENTATION = "representation"
    MINIMAL = "minimal"


def etag(resource: Mapping) -> str:
    """`W/"<meta.versionId>"`, the ETag of a read, create or update response."""
    version_id = resource.get("meta", {}).get("versionId")
    if not version_id:
        raise ValueError(f"{resource.get('resourceType')}/{resource.get('id')} has no meta.versionId")
    return f'W/"{version_id}"'


def parse_if_match(value: str | None) -> str | None:
    """The versionId an If-Match header requires (`W/"23"` or `"23"` -> "23"); None when absent or `*`."""
    if value is None or not value.strip() or value.strip() == "*":
        return None
    match = _ENTITY_TAG.fullmatch(value.strip())
    if match is None or not match[1]:
        raise BAD_REQUEST(f'If-Match {value} is not an entity tag such as W/"3"')
    return match[1]


def parse_prefer(value: str | None) -> Prefer:
    """The `return` preference of a Prefer header; representation unless `return=minimal` is asked for."""
    for preference in (value or "").replace(";", ",").split(","):
        key, _, setting = preference.partition("=")
        if key.strip().lower() == "return" and setting.strip().strip('"').lower() == Prefer.MINIMAL.value:
            return Prefer.MINIMAL
    return Prefer.REPRESENTATION
