"""FHIR STU3 XML <-> JSON: faithful round trips, agreement with fhir.resources, and refusals."""

import pytest
from fhir.resources.STU3 import get_fhir_model_class
from gpc_resources import (
    appointment,
    cancelled_appointment,
    capability_statement,
    register_patient_parameters,
    searchset_bundle,
)
from lxml import etree

from gpsynth.sandbox.errors import BAD_REQUEST, operation_outcome
from gpsynth.sandbox.fhirxml import FhirXmlError, MalformedXml, resource_from_xml, resource_to_xml

RESOURCES = {
    "appointment": appointment,
    "cancelled_appointment": cancelled_appointment,
    "searchset_bundle": searchset_bundle,
    "register_patient_parameters": register_patient_parameters,
    "capability_statement": capability_statement,
    "operation_outcome": lambda: operation_outcome(BAD_REQUEST("Ssp-To header is blank")),
}
F = "{http://hl7.org/fhir}"


@pytest.mark.parametrize("name", RESOURCES)
def test_json_xml_json_round_trip_is_exact(name):
    resource = RESOURCES[name]()
    assert resource_from_xml(resource_to_xml(resource)) == resource


@pytest.mark.parametrize("name", RESOURCES)
def test_our_xml_reads_back_identically_in_fhir_resources(name):
    resource = RESOURCES[name]()
    model = get_fhir_model_class(resource["resourceType"])
    assert model.model_validate_xml(resource_to_xml(resource)).model_dump() == model.model_validate(resource).model_dump()


@pytest.mark.parametrize("name", RESOURCES)
def test_fhir_resources_xml_reads_back_as_the_original_json(name):
    resource = RESOURCES[name]()
    xml = get_fhir_model_class(resource["resourceType"]).model_validate(resource).model_dump_xml()
    assert resource_from_xml(xml) == resource


def test_indentation_and_comments_are_ignored():
    resource = appointment()
    del resource["text"]  # whitespace inside a narrative div is content
    root = etree.fromstring(resource_to_xml(resource))
    etree.indent(root)
    root.insert(1, etree.Comment("a comment"))
    assert resource_from_xml(etree.tostring(root, pretty_print=True)) == resource


def test_appointment_xml_layout():
    resource = appointment()
    resource["_description"] = {"id": "d1"}  # fhir.resources drops an id-only primitive extension in XML
    xml_bytes = resource_to_xml(resource)
    assert resource_from_xml(xml_bytes) == resource
    root = etree.fromstring(xml_bytes)
    assert root.tag == F + "Appointment"
    names = [etree.QName(child).localname for child in root]
    # canonical STU3 order, whatever the dict order
    assert names[:5] == ["id", "meta", "text", "contained", "extension"]
    organization = root.find(f"{F}contained/{F}Organization")
    assert organization.find(f"{F}name").get("value") == "Test Organization Name"
    booking = root.find(f"{F}extension")
    assert booking.get("url").endswith("Extension-GPConnect-BookingOrganisation-1")
    assert booking.find(f"{F}valueReference/{F}reference").get("value") == "#1"
    assert root.find(f"{F}start").get("value") == "2026-11-26T09:40:00+00:00"
    assert root.find(f"{F}minutesDuration").get("value") == "20"
    description = root.find(f"{F}description")
    assert (description.get("id"), description.get("value")) == ("d1", "Free text description.")
    assert root.find("{http://www.w3.org/1999/xhtml}div") is None
    assert root.find(f"{F}text/{{http://www.w3.org/1999/xhtml}}div") is not None


def test_primitive_list_extensions_keep_their_positions():
    given = resource_from_xml(resource_to_xml(searchset_bundle()))["entry"][6]["resource"]["name"][0]
    assert given["given"] == ["Jack", "Thomas"]
    assert given["_given"][0] is None and given["_given"][1]["extension"][0]["valueBoolean"] is True


def test_primitive_types_come_back_typed():
    bundle = resource_from_xml(resource_to_xml(searchset_bundle()))
    location = bundle["entry"][4]["resource"]
    assert location["position"] == {"longitude": -1.5491, "latitude": 53.8008}
    patient = bundle["entry"][6]["resource"]
    assert patient["active"] is True
    assert patient["extension"][1]["extension"][1]["valueBoolean"] is False


def xml(body: str) -> bytes:
    return f'<Appointment xmlns="http://hl7.org/fhir">{body}</Appointment>'.encode()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (xml('<foo value="1"/>'), "unknown element 'foo'"),
        (xml('<status value="booked"/><status value="booked"/>'), "does not repeat"),
        (xml('<minutesDuration value="twenty"/>'), "not a valid positiveInt"),
        (xml('<priority value="+1"/>'), "not a valid unsignedInt"),
        (xml("<status/>"), "needs a value attribute"),
        (xml('<status value="booked">text</status>'), "unexpected text"),
        (xml('<status value="booked" foo="1"/>'), "unexpected attribute"),
        (xml('<contained><Bogus/></contained>'), "Bogus is not a FHIR STU3 type"),
        (xml('<contained><Coding/></contained>'), "not a FHIR STU3 resource type"),
        (b'<Appointment xmlns="urn:other"/>', "not in the FHIR namespace"),
        (xml('<x:status xmlns:x="urn:x" value="booked"/>'), "not in the FHIR namespace"),
        (b'<InvalidResourceType xmlns="http://hl7.org/fhir"/>', "InvalidResourceType is not a FHIR STU3 type"),
    ],
)
def test_invalid_fhir_xml_is_refused_naming_the_problem(document, message):
    with pytest.raises(FhirXmlError) as caught:
        resource_from_xml(document)
    assert not isinstance(caught.value, MalformedXml)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "document",
    [
        b"<Appointment",
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><Appointment xmlns="http://hl7.org/fhir"/>',
    ],
)
def test_malformed_xml_is_refused(document):
    with pytest.raises(MalformedXml):
        resource_from_xml(document)


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Appointment", "foo": 1},
        {"resourceType": "Appointment", "_slot": [{"id": "x"}]},
        {"resourceType": "Appointment", "slot": {"reference": "Slot/1"}},
        {"resourceType": "Appointment", "status": {"code": "booked"}},
        {"resourceType": "Appointment", "_status": [{"id": "x"}]},
        {"resourceType": "Appointment", "slot": [{"reference": "Slot/1"}], "_slot": 5},
        {"resourceType": "Appointment", "_comment": 5},
        {"resourceType": "Nope"},
        {"status": "booked"},
        {"resourceType": "Appointment", "text": {"status": "generated", "div": "<p>not a div</p>"}},
    ],
)
def test_json_that_is_not_stu3_cannot_be_written(resource):
    with pytest.raises(FhirXmlError):
        resource_to_xml(resource)
