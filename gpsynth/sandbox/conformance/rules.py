"""The consumer conformance rules: a stable id, a one-line explanation and the GP Connect 1.2.7 spec section.

Violations are named where the sandbox refuses a request (`raise BAD_REQUEST(..., rule="ssp-to")`); a refusal
with no rule of its own is filed under the catch-all of its kind (`violation_of`). Advisories are legal but
suspect behaviour, found by the journal from what it has seen (gpsynth.sandbox.conformance.journal).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GpcError

SPEC = "https://developer.nhs.uk/apis/gpconnect-1-2-7/"


@dataclass(frozen=True)
class Rule:
    id: str
    explanation: str
    page: str          # the spec page, below SPEC

    @property
    def section(self) -> str:
        return SPEC + self.page + ".html"


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


SSP = "integration_spine_secure_proxy"
JWT = "integration_cross_organisation_audit_and_provenance"
HTTP = "development_general_api_guidance"
FHIR_API = "development_fhir_api_guidance"
SLOTS = "appointments_use_case_search_for_free_slots"

VIOLATIONS = _rules(
    Rule("ssp-header", "An Ssp-TraceID, Ssp-From, Ssp-To or Ssp-InteractionID header is missing or blank", SSP),
    Rule("ssp-to", "Ssp-To does not name the provider's ASID", SSP),
    Rule("ssp-interaction-id", "Ssp-InteractionID is not the interaction the verb and path call for",
         "integration_interaction_ids"),
    Rule("interaction-path", "No GP Connect interaction has this verb and path", FHIR_API),
    Rule("http-media-type", "Accept, Content-Type or _format names no FHIR JSON or XML media type", HTTP),
    Rule("request-size", "The request's headers or body are larger than a GP Connect request can be", HTTP),
    Rule("body-syntax", "The request body is empty or not well-formed JSON or XML", FHIR_API),
    Rule("body-resource", "The request body is not a FHIR STU3 resource", FHIR_API),
    Rule("jwt-format", "The Authorization header is not 'Bearer' and an unsigned JWT of JSON header and claims", JWT),
    Rule("jwt-claim", "A JWT claim GP Connect requires is missing or of the wrong type, or a forbidden one is sent",
         JWT),
    Rule("jwt-requester", "The JWT requesting_device, _organization or _practitioner is not the FHIR resource "
                          "GP Connect requires", JWT),
    Rule("jwt-lifetime", "The JWT exp is not exactly iat + 300 seconds", JWT),
    Rule("jwt-iat-future", "The JWT iat is further in the future than the provider tolerates", JWT),
    Rule("jwt-expired", "The JWT has expired", JWT),
    Rule("jwt-reason", "The JWT reason_for_request is not directcare", JWT),
    Rule("jwt-scope", "The JWT requested_scope is not the interaction's scope", JWT),
    Rule("search-parameter", "A search parameter is missing, repeated or mis-cased", FHIR_API),
    Rule("search-identifier", "An identifier search value is not system|value", FHIR_API),
    Rule("search-date", "A date search value is not a prefixed date (ge/le) in the allowed form", FHIR_API),
    Rule("slot-include", "A free-slot search does not ask for _include=Slot:schedule", SLOTS),
    Rule("slot-status", "A free-slot search asks for a status other than free", SLOTS),
    Rule("slot-range", "A free-slot search ends before it starts or spans more than 14 days", SLOTS),
    Rule("appointments-range", "An appointment retrieval needs one start=ge and one start=le, from today on",
         "appointments_use_case_retrieve_a_patients_appointments"),
    Rule("resource-invalid", "The resource sent breaks a GP Connect rule for this interaction",
         "development_fhir_error_handling_guidance"),
    Rule("request-invalid", "The request breaks a GP Connect rule for this interaction",
         "development_fhir_error_handling_guidance"),
)

ADVISORIES = _rules(
    Rule("trace-id-reused", "The same Ssp-TraceID was sent on an earlier request; each request needs its own", SSP),
    Rule("slot-not-searched", "The booking names a slot no free-slot search has returned",
         "appointments_use_case_book_an_appointment"),
    Rule("update-without-if-match", "The appointment was changed without If-Match, so a change made meanwhile "
                                    "can be overwritten", "appointments_use_case_amend_an_appointment"),
    Rule("jwt-expiry-close", "The JWT expires within 30 seconds; a retry or a slow network will see it expire", JWT),
)

# Refusals that are the provider's answer to a well-formed request (a patient not found, a slot taken meanwhile,
# a stale If-Match), not a broken rule.
_ANSWERS = {"NO_RECORD_FOUND", "PATIENT_NOT_FOUND", "ORGANISATION_NOT_FOUND", "PRACTITIONER_NOT_FOUND",
            "DUPLICATE_REJECTED", "FHIR_CONSTRAINT_VIOLATION", "INTERNAL_SERVER_ERROR", "NOT_IMPLEMENTED",
            "INVALID_PATIENT_DEMOGRAPHICS", "INVALID_NHS_NUMBER"}


def violation_of(refusal: GpcError) -> Rule | None:
    """The rule a refused request broke, or None when the refusal answers a well-formed request."""
    if refusal.rule is not None:
        return VIOLATIONS[refusal.rule]
    if refusal.spine_code in _ANSWERS or refusal.status >= 500:
        return None
    return VIOLATIONS["resource-invalid" if refusal.spine_code == "INVALID_RESOURCE" else "request-invalid"]
