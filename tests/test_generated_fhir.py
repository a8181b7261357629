"""Generated resources as FHIR: the fhir.resources STU3 models, the official GP Connect 1.2.7 profiles,
resolving references, and the same resources in every output format."""

from __future__ import annotations

from collections import Counter, defaultdict

import orjson
import pytest
from fhir.resources.STU3 import get_fhir_model_class
from generated import Generated, references
from profiles import checker, requires_shared

GPC_PROFILES = {
    "Organization": "CareConnect-GPC-Organization-1",
    "Location": "CareConnect-GPC-Location-1",
    "Practitioner": "CareConnect-GPC-Practitioner-1",
    "Patient": "CareConnect-GPC-Patient-1",
    "Schedule": "GPConnect-Schedule-1",
    "Slot": "GPConnect-Slot-1",
    "Appointment": "GPConnect-Appointment-1",
}


def test_every_resource_validates_against_the_stu3_models(spring):
    failures = []
    for resource_type, resources in spring.resources.items():
        model = get_fhir_model_class(resource_type)
        for resource in resources:
            try:
                model.model_validate(resource)
            except ValueError as exc:
                failures.append(f"{resource_type}/{resource['id']}: {exc}")
    assert set(spring.resources) == set(GPC_PROFILES)
    assert not failures, failures[:3]


def bundles(data: Generated) -> list[dict]:
    return [orjson.loads(path.read_bytes()) for path in sorted((data.folder / "json").glob("*.json"))]


@pytest.mark.parametrize("name, kind", [("spring", "collection"), ("christmas", "transaction")])
def test_bundles_hold_the_ndjson_resources_and_validate_as_bundles(request, name, kind):
    data = request.getfixturevalue(name)
    found = bundles(data)
    assert {b["type"] for b in found} == {kind}
    in_bundles = sorted(orjson.dumps(e["resource"]) for b in found for e in b["entry"])
    in_ndjson = sorted(orjson.dumps(r) for rs in data.resources.values() for r in rs)
    assert in_bundles == in_ndjson
    smallest = min(found, key=lambda b: len(b["entry"]))
    get_fhir_model_class("Bundle").model_validate(smallest)
    if kind == "transaction":
        assert max(len(b["entry"]) for b in found) == 500
        for entry in (e for b in found for e in b["entry"]):
            resource = entry["resource"]
            assert entry["request"] == {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}


def kind(resource: dict) -> tuple:
    """What sets a resource apart for the profiles: status, state, slots, channel, booking organisation..."""
    return (resource.get("status"), resource.get("active"), "deceasedDateTime" in resource, "security" in resource["meta"],
            "comment" in resource, len(resource.get("slot", ())),
            tuple(e.get("valueCode", "") for e in resource.get("extension", ())),
            tuple(i["value"] for c in resource.get("contained", ()) for i in c.get("identifier", ())))


def profile_sample(resources: list[dict], per_kind: int = 40) -> list[dict]:
    """Every resource of a small type; of a large one, up to `per_kind` of each kind."""
    if len(resources) <= 200:
        return resources
    taken: Counter = Counter()
    sample = []
    for resource in resources:
        taken[kind(resource)] += 1
        if taken[kind(resource)] <= per_kind:
            sample.append(resource)
    return sample


@requires_shared
def test_resources_conform_to_the_gp_connect_profiles(dataset):
    profiles = checker()
    problems, checked = [], Counter()
    for resource_type, resources in dataset.resources.items():
        for resource in profile_sample(resources):
            assert resource["meta"]["profile"] == [f"https://fhir.nhs.uk/STU3/StructureDefinition/{GPC_PROFILES[resource_type]}"]
            problems += [f"{resource_type}/{resource['id']}: {p}" for p in profiles.check(resource)]
            checked[resource_type] += 1
    assert set(checked) == set(GPC_PROFILES)
    assert not problems, problems[:5]


def test_every_resource_has_a_version(dataset):
    for resources in dataset.resources.values():
        assert all(r["meta"]["versionId"] for r in resources)


def test_every_reference_resolves_inside_the_dataset(dataset):
    ids = {(t, r["id"]) for t, rs in dataset.resources.items() for r in rs}
    unresolved, pointing = [], defaultdict(set)
    for resource_type, resources in dataset.resources.items():
        for resource in resources:
            contained = {c["id"] for c in resource.get("contained", ())}
            for reference in references(resource):
                if reference.startswith("#"):
                    resolved = reference[1:] in contained
                else:
                    target_type, _, target_id = reference.partition("/")
                    resolved = (target_type, target_id) in ids
                    pointing[resource_type].add(target_type)
                if not resolved:
                    unresolved.append(f"{resource_type}/{resource['id']} -> {reference}")
    assert not unresolved, unresolved[:5]
    assert pointing["Appointment"] >= {"Slot", "Patient", "Location", "Practitioner"}
    assert pointing["Patient"] >= {"Organization", "Location", "Practitioner"}
    assert pointing["Schedule"] == {"Location", "Practitioner"}
    assert pointing["Slot"] == {"Schedule"}
    assert pointing["Location"] == {"Organization"}


def test_ids_are_unique_valid_fhir_ids(dataset):
    for resource_type, resources in dataset.resources.items():
        ids = [r["id"] for r in resources]
        assert len(set(ids)) == len(ids), resource_type
        assert all(0 < len(i) <= 64 and set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")
                   for i in ids)
