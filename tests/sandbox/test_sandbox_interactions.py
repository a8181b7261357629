"""Matching verb, path and Ssp-InteractionID to a GP Connect interaction."""

import pytest

from gpsynth.sandbox.errors import GpcError
from gpsynth.sandbox.interactions import BY_NAME, INTERACTIONS, resolve

URN = "urn:nhs:names:services:gpconnect:fhir:"


@pytest.mark.parametrize(
    ("method", "path", "interaction_id", "name", "params"),
    [
        ("GET", "/metadata", "rest:read:metadata-1", "get_capability_statement", {}),
        ("GET", "/Patient", "rest:search:patient-1", "find_patient", {}),
        ("GET", "/Patient/1", "rest:read:patient-1", "read_patient", {"id": "1"}),
        ("POST", "/Patient/$gpc.registerpatient", "operation:gpc.registerpatient-1", "register_patient", {}),
        ("GET", "/Practitioner", "rest:search:practitioner-1", "find_practitioner", {}),
        ("GET", "/Practitioner/p.1", "rest:read:practitioner-1", "read_practitioner", {"id": "p.1"}),
        ("GET", "/Organization", "rest:search:organization-1", "find_organisation", {}),
        ("GET", "/Organization/7", "rest:read:organization-1", "read_organisation", {"id": "7"}),
        ("GET", "/Location/16", "rest:read:location-1", "read_location", {"id": "16"}),
        ("GET", "/Slot", "rest:search:slot-1", "search_free_slots", {}),
        ("GET", "/Patient/2/Appointment", "rest:search:patient_appointments-1", "retrieve_appointments", {"id": "2"}),
        ("GET", "/Appointment/a-1", "rest:read:appointment-1", "read_appointment", {"id": "a-1"}),
        ("POST", "/Appointment", "rest:create:appointment-1", "book_appointment", {}),
        ("PUT", "/Appointment/a-1", "rest:update:appointment-1", "amend_appointment", {"id": "a-1"}),
        ("PUT", "/Appointment/a-1", "rest:cancel:appointment-1", "cancel_appointment", {"id": "a-1"}),
    ],
)
def test_each_interaction_resolves(method, path, interaction_id, name, params):
    resolved = resolve(method, path, URN + interaction_id)
    assert resolved.interaction.name == name
    assert dict(resolved.path_params) == params


def test_scopes_follow_the_spec():
    scopes = {i.name: i.scope for i in INTERACTIONS}
    assert {n for n, s in scopes.items() if s == "patient/*.write"} == {
        "register_patient",
        "book_appointment",
        "amend_appointment",
        "cancel_appointment",
    }
    assert {n for n, s in scopes.items() if s == "patient/*.read"} == {
        "find_patient",
        "read_patient",
        "retrieve_appointments",
        "read_appointment",
    }
    assert len(INTERACTIONS) == len(BY_NAME) == 15


def error(method, path, interaction_id) -> GpcError:
    with pytest.raises(GpcError) as caught:
        resolve(method, path, interaction_id)
    return caught.value


def test_interaction_id_for_another_resource_is_bad_request_naming_the_expected_id():
    err = error("GET", "/Organization/1", URN + "rest:read:practitioner-1")
    assert (err.status, err.spine_code) == (400, "BAD_REQUEST")
    assert err.diagnostics == (
        f"Ssp-InteractionID {URN}rest:read:practitioner-1 does not match GET /Organization/1; "
        f"expected {URN}rest:read:organization-1"
    )


def test_amend_and_cancel_share_a_url_and_both_are_offered():
    err = error("PUT", "/Appointment/1", URN + "rest:read:appointment-1")
    assert err.status == 400
    assert f"{URN}rest:update:appointment-1 or {URN}rest:cancel:appointment-1" in err.diagnostics


def test_unknown_interaction_id_is_bad_request():
    err = error("GET", "/Patient/1/Appointment", URN + "rest:search:organization-1 x")
    assert err.status == 400
    assert "is not a GP Connect" in err.diagnostics


def test_unknown_path_is_404_and_wrong_verb_is_405():
    for path in ("/metadatas", "/Metadata", "/Appointment/", "/Patient/1/Slot", "/"):
        assert error("GET", path, URN + "rest:read:metadata-1").status == 404
    err = error("DELETE", "/metadata", URN + "rest:read:metadata-1")
    assert err.status == 405
    assert err.headers == {"Allow": "GET"}
    assert error("GET", "/Patient/$gpc.registerpatient", URN + "rest:read:patient-1").status == 405
    assert error("POST", "/Appointment/1", URN + "rest:create:appointment-1").headers == {"Allow": "GET, PUT"}
