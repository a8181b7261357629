"""GP Connect errors: the Spine error catalogue and the GPConnect-OperationOutcome-1 that reports them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gpsynth.fhir.constants import PROFILE
from gpsynth.fhir.outcome import outcome_resource

SPINE_ERROR_CODE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"

# Displays exactly as in CodeSystem Spine-ErrorOrWarningCode-1 v1.4.0 (the GP Connect 1.2.7 assets).
SPINE_DISPLAYS = {
    "BAD_REQUEST": "Bad request",
    "INVALID_NHS_NUMBER": "Invalid NHS number",
    "INVALID_IDENTIFIER_SYSTEM": "Invalid identifier system",
    "INVALID_IDENTIFIER_VALUE": "Invalid identifier value",
    "INVALID_PATIENT_DEMOGRAPHICS": "Invalid patient demographics",
    "PATIENT_NOT_FOUND": "Patient not found",
    "ORGANISATION_NOT_FOUND": "Organisation not found",
    "PRACTITIONER_NOT_FOUND": "Practitioner not found",
    "NO_RECORD_FOUND": "No record found",
    "DUPLICATE_REJECTED": "Create would lead to creation of a duplicate resource",
    "FHIR_CONSTRAINT_VIOLATION": "FHIR constraint violated",
    "INVALID_RESOURCE": "Invalid validation of resource",
    "INVALID_PARAMETER": "Invalid parameter",
    "REFERENCE_NOT_FOUND": "Reference not found",
    "INTERNAL_SERVER_ERROR": "Unexpected internal server error",
    "NOT_IMPLEMENTED": "Not implemented",
}


@dataclass(frozen=True)
class SpineError:
    """One row of the error catalogue: HTTP status, FHIR issue type and Spine error code.

    Calling it with a diagnostics message gives the exception to raise: `raise BAD_REQUEST("…")`.
    """

    status: int
    issue_code: str
    spine_code: str

    @property
    def display(self) -> str:
        return SPINE_DISPLAYS[self.spine_code]

    def __call__(self, diagnostics: str, headers: Mapping[str, str] | None = None, rule: str | None = None) -> GpcError:
        return GpcError(self, diagnostics, headers, rule)


class GpcError(Exception):
    """A request GP Connect answers with an OperationOutcome: which catalogue error, and why.

    `rule` names the consumer conformance rule the request broke (gpsynth.sandbox.conformance.rules), when the
    refusal is one.
    """

    def __init__(self, error: SpineError, diagnostics: str, headers: Mapping[str, str] | None = None,
                 rule: str | None = None):
        super().__init__(f"{error.status} {error.spine_code}: {diagnostics}")
        self.error = error
        self.diagnostics = diagnostics
        self.headers = dict(headers or {})
        self.rule = rule

    @property
    def status(self) -> int:
        return self.error.status

    @property
    def issue_code(self) -> str:
        return self.error.issue_code

    @property
    def spine_code(self) -> str:
        return self.error.spine_code


BAD_REQUEST = SpineError(400, "invalid", "BAD_REQUEST")
INVALID_NHS_NUMBER = SpineError(400, "value", "INVALID_NHS_NUMBER")
INVALID_IDENTIFIER_SYSTEM = SpineError(400, "value", "INVALID_IDENTIFIER_SYSTEM")
INVALID_IDENTIFIER_VALUE = SpineError(400, "value", "INVALID_IDENTIFIER_VALUE")
INVALID_PATIENT_DEMOGRAPHICS = SpineError(400, "business-rule", "INVALID_PATIENT_DEMOGRAPHICS")
PATIENT_NOT_FOUND = SpineError(404, "not-found", "PATIENT_NOT_FOUND")
ORGANISATION_NOT_FOUND = SpineError(404, "not-found", "ORGANISATION_NOT_FOUND")
PRACTITIONER_NOT_FOUND = SpineError(404, "not-found", "PRACTITIONER_NOT_FOUND")
NO_RECORD_FOUND = SpineError(404, "not-found", "NO_RECORD_FOUND")
DUPLICATE_REJECTED = SpineError(409, "duplicate", "DUPLICATE_REJECTED")
FHIR_CONSTRAINT_VIOLATION = SpineError(409, "conflict", "FHIR_CONSTRAINT_VIOLATION")
INVALID_RESOURCE = SpineError(422, "invalid", "INVALID_RESOURCE")
INVALID_PARAMETER = SpineError(422, "invalid", "INVALID_PARAMETER")
REFERENCE_NOT_FOUND = SpineError(422, "invalid", "REFERENCE_NOT_FOUND")
INTERNAL_SERVER_ERROR = SpineError(500, "processing", "INTERNAL_SERVER_ERROR")
NOT_IMPLEMENTED = SpineError(501, "not-supported", "NOT_IMPLEMENTED")
# The catalogue has no Spine code of its own for these two HTTP-level refusals; BAD_REQUEST is the
# code the reference provider reports with them.
METHOD_NOT_ALLOWED = SpineError(405, "not-supported", "BAD_REQUEST")
UNSUPPORTED_MEDIA_TYPE = SpineError(415, "not-supported", "BAD_REQUEST")


def operation_outcome(err: GpcError) -> dict:
    """The GPConnect-OperationOutcome-1 resource reporting `err`."""
    return outcome_resource(err.issue_code, err.diagnostics, profile=PROFILE["OperationOutcome"], coding={
        "system": SPINE_ERROR_CODE_SYSTEM, "code": err.spine_code, "display": err.error.display})
