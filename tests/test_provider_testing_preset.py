"""The gpc-provider-testing preset holds what the official provider test suite expects of a provider."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from gpsynth.calendar import LONDON
from gpsynth.fhir.constants import (EXT_DELIVERY_CHANNEL, EXT_PRACTITIONER_ROLE, NHS_NUMBER, ODS_ORGANIZATION, ODS_SITE,
                                    SDS_ROLE_PROFILE_ID, SDS_USER_ID)
from gpsynth.fixtures import Dataset
from gpsynth.identifiers import is_valid_nhs_number
from gpsynth.scenario import load_scenario

AS_OF = date(2026, 12, 23)  # the window crosses Christmas and Boxing Day: the suite's slots never stop

# From the suite's data maps (NHSNoMap, ODSCodeMap, LocationLogicalIdentifierMap, PractitionerCodeMap).
SEARCHABLE = ["9658218865", "9658218873", "9658218881", "9658218903", "9658218989", "9658218997", "9658219004",
              "9658219012", "9658219691", "9658219705", "9658219713", "9658220169", "9476718943", "9658219721"]
HIDDEN_FROM_SEARCH = {"9658220142": "sensitive", "9658220150": "sensitive", "9658220290": "deceased",
                      "9658219748": "inactive"}
SITES = {"1": "Z26556", "8": "Z33432", "3": "Z33433"}
PRACTITIONERS = {"G13579135": 0, "G11111116": 1, "G22345655": 2, "G22222226": 1}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    return Dataset.generate(load_scenario("gpc-provider-testing"), 1, AS_OF, tmp_path_factory.mktemp("gpct") / "out")


def identifier(resource: dict, system: str) -> list[str]:
    return [i["value"] for i in resource.get("identifier", []) if i["system"] == system]


def test_practice_and_its_sites(dataset):
    practices = [o for o in dataset["Organization"].values() if identifier(o, ODS_ORGANIZATION) == ["A20047"]]
    assert len(practices) == 1
    for location_id, site_code in SITES.items():
        location = dataset["Location"][location_id]
        assert identifier(location, ODS_SITE) == [site_code]
        assert location["managingOrganization"]["reference"] == f"Organization/{practices[0]['id']}"
    codes = {code for o in dataset["Organization"].values() for code in identifier(o, ODS_ORGANIZATION)}
    assert "R1A14" in codes and "INVOC1" not in codes


def test_practitioners_with_their_role_profiles(dataset):
    by_sds = {identifier(p, SDS_USER_ID)[0]: p for p in dataset["Practitioner"].values()}
    for sds_user_id, role_profiles in PRACTITIONERS.items():
        assert len(identifier(by_sds[sds_user_id], SDS_ROLE_PROFILE_ID)) == role_profiles
    assert "G99999999" not in by_sds


def test_patients_and_their_states(dataset):
    by_number = {identifier(p, NHS_NUMBER)[0]: p for p in dataset["Patient"].values()}
    states = {p.nhs_number: p.state for shard in dataset.shards for p in shard.patients}
    for number in SEARCHABLE + list(HIDDEN_FROM_SEARCH):
        assert is_valid_nhs_number(number) and number in by_number
    for number, state in HIDDEN_FROM_SEARCH.items():
        assert states[number] == state
    assert by_number["9658220290"]["deceasedDateTime"]
    assert by_number["9658219748"]["active"] is False
    assert by_number["9658220142"]["meta"]["security"][0]["code"] == "R"
    assert "9999999999" not in by_number
    booked = {a["participant"][0]["actor"]["reference"] for a in dataset["Appointment"].values()}
    assert f"Patient/{by_number['9658219721']['id']}" not in booked


def test_at_least_200_qualifying_slots_from_tomorrow_to_14_days_ahead(dataset):
    tomorrow = datetime.combine(AS_OF + timedelta(days=1), time(0), tzinfo=LONDON)
    window_end = tomorrow + timedelta(days=14)
    qualifying = [s for s in dataset.free_slots(after=tomorrow)
                  if datetime.fromisoformat(s.end) <= window_end and not s.restrict_org_types and not s.restrict_ods_codes]
    assert len(qualifying) >= 200
    day_after_tomorrow = AS_OF + timedelta(days=2)
    assert sum(datetime.fromisoformat(s.start).date() == day_after_tomorrow for s in qualifying) >= 15
    # The suite books the first slot of its search; that slot's schedule is a GP's.
    first_schedule = dataset.resolve(f"Schedule/{qualifying[0].schedule_id}")
    role = first_schedule["extension"][0]
    assert role["url"] == EXT_PRACTITIONER_ROLE and role["valueCodeableConcept"]["coding"][0]["code"] == "R0260"
    for slot in qualifying:
        resource = dataset["Slot"][slot.id]
        assert resource["extension"][0]["url"] == EXT_DELIVERY_CHANNEL and resource["serviceType"][0]["text"]
        schedule = dataset.resolve(resource["schedule"]["reference"])
        assert schedule["serviceCategory"]["text"] and "comment" not in schedule
        assert [e["url"] for e in schedule["extension"]] == [EXT_PRACTITIONER_ROLE]
        location = dataset.resolve(schedule["actor"][0]["reference"])
        assert dataset.resolve(location["managingOrganization"]["reference"])


def test_a_window_starting_today_finds_slots(dataset):
    today = datetime.combine(AS_OF, time(0), tzinfo=LONDON)
    assert any(datetime.fromisoformat(s.start).date() == AS_OF for s in dataset.free_slots(after=today))
