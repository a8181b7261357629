"""GPConnect-OperationOutcome-1 rendering of the error catalogue."""

import pytest
from fhir.resources.STU3.operationoutcome import OperationOutcome

from gpsynth.sandbox import errors

CATALOGUE = [
    ("BAD_REQUEST", 400, "invalid"),
    ("INVALID_NHS_NUMBER", 400, "value"),
    ("INVALID_IDENTIFIER_SYSTEM", 400, "value"),
    ("INVALID_IDENTIFIER_VALUE", 400, "value"),
    ("INVALID_PATIENT_DEMOGRAPHICS", 400, "business-rule"),
    ("PATIENT_NOT_FOUND", 404, "not-found"),
    ("ORGANISATION_NOT_FOUND", 404, "not-found"),
    ("PRACTITIONER_NOT_FOUND", 404, "not-found"),
    ("NO_RECORD_FOUND", 404, "not-found"),
    ("DUPLICATE_REJECTED", 409, "duplicate"),
    ("FHIR_CONSTRAINT_VIOLATION", 409, "conflict"),
    ("INVALID_RESOURCE", 422, "invalid"),
    ("INVALID_PARAMETER", 422, "invalid"),
    ("REFERENCE_NOT_FOUND", 422, "invalid"),
    ("INTERNAL_SERVER_ERROR", 500, "processing"),
    ("NOT_IMPLEMENTED", 501, "not-supported"),
]


@pytest.mark.parametrize(("code", "status", "issue_code"), CATALOGUE)
def test_catalogue_entry(code, status, issue_code):
    err = getattr(errors, code)("why it failed")
    assert (err.status, err.issue_code, err.spine_code) == (status, issue_code, code)


def test_http_level_refusals_use_bad_request():
    assert (errors.METHOD_NOT_ALLOWED.status, errors.METHOD_NOT_ALLOWED.spine_code) == (405, "BAD_REQUEST")
    assert (errors.UNSUPPORTED_MEDIA_TYPE.status, errors.UNSUPPORTED_MEDIA_TYPE.spine_code) == (415, "BAD_REQUEST")


def test_operation_outcome_shape():
    outcome = errors.operation_outcome(errors.INVALID_RESOURCE("Appointment.reason must not be sent"))
    assert outcome == {
        "resourceType": "OperationOutcome",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "details": {
                    "coding": [
                        {
                            "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                            "code": "INVALID_RESOURCE",
                            "display": "Invalid validation of resource",
                        }
                    ]
                },
                "diagnostics": "Appointment.reason must not be sent",
            }
        ],
    }
    OperationOutcome.model_validate(outcome)

