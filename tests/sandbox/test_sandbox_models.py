"""The STU3 model check: contained resources checked on their own give the answer the whole model gives."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from gpsynth.fhir.model_check import _problem, model_problem

BOOKING = {
    "resourceType": "Appointment",
    "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"]},
    "contained": [{"resourceType": "Organization", "id": "1", "name": "Synthetic NHS 111 Service",
                   "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "GPSU01"}],
                   "telecom": [{"system": "phone", "value": "0300 000 0111"}]}],
    "status": "booked", "description": "A booking", "start": "2026-12-30T16:30:00+00:00",
    "end": "2026-12-30T16:45:00+00:00", "slot": [{"reference": "Slot/1"}], "created": "2026-12-30T16:00:00+00:00",
    "participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}],
}

values = st.none() | st.integers() | st.text(max_size=8) | st.lists(st.integers(), max_size=2) | st.dictionaries(
    st.text(max_size=4), st.integers(), max_size=2)
names = st.sampled_from(["resourceType", "id", "name", "identifier", "telecom", "active", "type", "foo", "meta"])
types = st.sampled_from(["Organization", "Practitioner", "Appointment", "HumanName", "Nope", ""])


@given(names, values | types, st.booleans())
def test_a_contained_resource_checked_alone_gives_the_whole_models_answer(name, value, second):
    body = copy.deepcopy(BOOKING)
    body["contained"][0][name] = value
    if second:
        body["contained"].append(copy.deepcopy(BOOKING["contained"][0]) | {"id": "2"})
    assert model_problem("Appointment", body) == _problem("Appointment", body)


def test_a_contained_resource_of_an_unknown_type_is_a_problem_not_a_crash():
    body = copy.deepcopy(BOOKING)
    body["contained"][0]["resourceType"] = "Nope"
    assert model_problem("Appointment", body).startswith("not a valid Appointment")
    assert model_problem("Appointment", BOOKING) is None


instants = st.one_of(
    st.datetimes(timezones=st.sampled_from([None, __import__("datetime").timezone.utc])).map(lambda d: d.isoformat()),
    st.from_regex(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?", fullmatch=True),
    st.sampled_from(["2026-02-30T10:00:00+00:00", "2026-12-31T23:59:60Z", "2026-12-01T10:00:00+14:00",
                     "2026-12-01T10:00:00+15:00", "0000-01-01T00:00:00Z", "2026-12-01", "2026-12-01T10:00Z"]),
    values)
texts = st.one_of(st.text(max_size=6), st.sampled_from(["", " ", "\x0b", "\u00a0", "\t\n", "ok"]), values)
references = st.one_of(st.builds(lambda t: {"reference": t}, texts),
                       st.builds(lambda t: {"reference": t, "display": "x"}, texts), values)


@given(st.sampled_from(["start", "end", "created", "description", "comment"]), instants | texts,
       st.lists(references, max_size=2), references, st.booleans())
def test_an_appointment_checked_as_its_skeleton_gives_the_whole_models_answer(name, value, slots, actor, contained):
    body = copy.deepcopy(BOOKING)
    body[name] = value
    body["slot"] = slots
    body["participant"][0]["actor"] = actor
    if not contained:
        del body["contained"]
    assert model_problem("Appointment", body) == _problem("Appointment", body)
