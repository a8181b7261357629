"""The GP Connect 1.2.7 interaction table, and matching a request to the one interaction it names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gpsynth.sandbox.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, NO_RECORD_FOUND

PATIENT_READ = "patient/*.read"
PATIENT_WRITE = "patient/*.write"
ORGANIZATION_READ = "organization/*.read"

_REST = "urn:nhs:names:services:gpconnect:fhir:rest:"
_OPERATION = "urn:nhs:names:services:gpconnect:fhir:operation:"


def _path_pattern(path: str) -> re.Pattern:
    """`/Patient/{id}` -> a regex whose `{id}` takes one path segment that is not an operation (`$…`)."""
    segments = []
    for segment in path.split("/"):
        parameter = re.fullmatch(r"\{(\w+)\}", segment)
        segments.append(f"(?P<{parameter[1]}>[^/$][^/]*)" if parameter else re.escape(segment))
    return re.compile("/".join(segments))


@dataclass(frozen=True)
class Interaction:
    """One GP Connect interaction: its name, Ssp-InteractionID, verb, path below the service root and JWT scope."""

    name: str
    interaction_id: str
    method: str
    path: str
    scope: str
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", _path_pattern(self.path))


INTERACTIONS: tuple[Interaction, ...] = (
    Interaction("get_capability_statement", _REST + "read:metadata-1", "GET", "/metadata", ORGANIZATION_READ),
    Interaction("find_patient", _REST + "search:patient-1", "GET", "/Patient", PATIENT_READ),
    Interaction("read_patient", _REST + "read:patient-1", "GET", "/Patient/{id}", PATIENT_READ),
    Interaction(
        "register_patient", _OPERATION + "gpc.registerpatient-1", "POST", "/Patient/$gpc.registerpatient", PATIENT_WRITE
    ),
    Interaction("find_practitioner", _REST + "search:practitioner-1", "GET", "/Practitioner", ORGANIZATION_READ),
    Interaction("read_practitioner", _REST + "read:practitioner-1", "GET", "/Practitioner/{id}", ORGANIZATION_READ),
    Interaction("find_organisation", _REST + "search:organization-1", "GET", "/Organization", ORGANIZATION_READ),
    Interaction("read_organisation", _REST + "read:organization-1", "GET", "/Organization/{id}", ORGANIZATION_READ),
    Interaction("read_location", _REST + "read:location-1", "GET", "/Location/{id}", ORGANIZATION_READ),
    Interaction("search_free_slots", _REST + "search:slot-1", "GET", "/Slot", ORGANIZATION_READ),
    Interaction(
        "retrieve_appointments",
        _REST + "search:patient_appointments-1",
        "GET",
        "/Patient/{id}/Appointment",
        PATIENT_READ,
    ),
    Interaction("read_appointment", _REST + "read:appointment-1", "GET", "/Appointment/{id}", PATIENT_READ),
    Interaction("book_appointment", _REST + "create:appointment-1", "POST", "/Appointment", PATIENT_WRITE),
    Interaction("amend_appointment", _REST + "update:appointment-1", "PUT", "/Appointment/{id}", PATIENT_WRITE),
    Interaction("cancel_appointment", _REST + "cancel:appointment-1", "PUT", "/Appointment/{id}", PATIENT_WRITE),
)

BY_NAME: Mapping[str, Interaction] = {interaction.name: interaction for interaction in INTERACTIONS}
BY_ID: Mapping[str, Interaction] = {interaction.interaction_id: interaction for interaction in INTERACTIONS}


@dataclass(frozen=True)
class ResolvedInteraction:
    """The interaction a request names, with the values of its path parameters (e.g. `{"id": "1"}`)."""

    interaction: Interaction
    path_params: Mapping[str, str]


def resolve(method: str, path: str, interaction_id: str) -> ResolvedInteraction:
    """Match verb, path below the service root and Ssp-InteractionID to one interaction.

    An unknown path is 404, a known path with another verb 405, and an Ssp-InteractionID that is not
    the one (or, for PUT /Appointment/{id}, one of the two) the request's verb and path call for is
    400 BAD_REQUEST saying which ID was expected.
    """
    on_path = [(i, m) for i in INTERACTIONS if (m := i.pattern.fullmatch(path))]
    if not on_path:
        raise NO_RECORD_FOUND(f"No GP Connect interaction has the path {path}", rule="interaction-path")
    matching = [(i, m) for i, m in on_path if i.method == method]
    if not matching:
        allowed = sorted({i.method for i, _ in on_path})
        raise METHOD_NOT_ALLOWED(
            f"{method} is not allowed on {path}; use {' or '.join(allowed)}", headers={"Allow": ", ".join(allowed)}
        , rule="interaction-path")
    for interaction, match in matching:
        if interaction.interaction_id == interaction_id:
            return ResolvedInteraction(interaction, match.groupdict())
    expected = " or ".join(i.interaction_id for i, _ in matching)
    if interaction_id not in BY_ID:
        raise BAD_REQUEST(
            f"Ssp-InteractionID {interaction_id} is not a GP Connect 1.2.7 Foundations or Appointment Management "
            f"interaction; {method} {path} expects {expected}", rule="ssp-interaction-id"
        )
    raise BAD_REQUEST(f"Ssp-InteractionID {interaction_id} does not match {method} {path}; expected {expected}", rule="ssp-interaction-id")
