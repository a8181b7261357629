"""Properties of the rules' building blocks, over many inputs: NHS numbers, London instants and patients."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from generated import mod11_valid
from hypothesis import given, settings
from hypothesis import strategies as st

from gpsynth.calendar import LONDON, london_instant, london_instants, london_offset
from gpsynth.identifiers import NHS_NUMBER_RANGES, nhs_number, nhs_number_capacity
from gpsynth.scenario import parse_scenario


@pytest.mark.parametrize("range_name", sorted(NHS_NUMBER_RANGES))
@given(data=st.data())
def test_every_index_gives_a_valid_number_in_the_range(range_name, data):
    index = data.draw(st.integers(0, nhs_number_capacity(range_name) - 1))
    number = nhs_number(range_name, index)
    assert mod11_valid(number), (index, number)
    assert number.startswith(NHS_NUMBER_RANGES[range_name])


@pytest.mark.parametrize("range_name", sorted(NHS_NUMBER_RANGES))
@given(data=st.data())
def test_distinct_indices_give_distinct_numbers(range_name, data):
    capacity = nhs_number_capacity(range_name)
    first = data.draw(st.integers(0, capacity - 2))
    second = data.draw(st.integers(first + 1, min(capacity - 1, first + 30)) | st.integers(first + 1, capacity - 1))
    assert nhs_number(range_name, first) != nhs_number(range_name, second)


def test_the_first_numbers_are_all_distinct_and_the_range_ends_at_its_capacity():
    assert len({nhs_number("999", n) for n in range(5000)}) == 5000
    capacity = nhs_number_capacity("999")
    assert mod11_valid(nhs_number("999", capacity - 1))
    with pytest.raises(ValueError):
        nhs_number("999", capacity)


def test_the_mod11_check_agrees_with_published_examples():
    assert mod11_valid("9434765919") and mod11_valid("9000000009")
    assert not mod11_valid("9434765918") and not mod11_valid("943476591")


CLOCK_CHANGE_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]


@given(day=st.sampled_from(CLOCK_CHANGE_DAYS) | st.dates(date(1948, 7, 5), date(2040, 12, 31)),
       at=st.times().map(lambda t: t.replace(microsecond=0)))
def test_every_wall_time_gives_an_instant_that_exists_in_london(day, at):
    """A drawn wall time renders as a real instant: valid ISO 8601 with London's offset at that instant
    (times the spring change skips move on an hour; no offset is ever missing)."""
    text = london_instant(day, at)
    instant = datetime.fromisoformat(text)
    assert instant.utcoffset() is not None
    assert instant.astimezone(LONDON).isoformat(timespec="seconds") == text, "the offset is London's at that instant"
    skipped = london_offset(day, at) is None
    assert instant.replace(tzinfo=None) - datetime.combine(day, at) == timedelta(hours=1 if skipped else 0)


@given(times=st.lists(st.tuples(st.sampled_from(CLOCK_CHANGE_DAYS) | st.dates(date(1948, 7, 5), date(2040, 12, 31)),
                                st.integers(0, 24 * 60 - 1)), max_size=20))
def test_instants_in_bulk_are_the_instants_one_by_one(times):
    days, minutes = [day.toordinal() for day, _ in times], [minute for _, minute in times]
    assert london_instants(days, minutes) == [london_instant(day, time(*divmod(minute, 60))) for day, minute in times]


def test_the_skipped_spring_hour_moves_forward_and_the_repeated_autumn_hour_is_bst():
    assert london_instant(date(2026, 3, 29), time(1, 0)) == "2026-03-29T02:00:00+01:00"
    assert london_instant(date(2026, 3, 29), time(0, 59)) == "2026-03-29T00:59:00+00:00"
    assert london_instant(date(2026, 10, 25), time(1, 30)) == "2026-10-25T01:30:00+01:00"


def patient_instants(patient) -> dict[str, str]:
    """Every field of a Patient record that holds an instant (a date and a time of day)."""
    return {name: value for name in type(patient).__slots__
            if isinstance(value := getattr(patient, name), str) and "T" in value and value[:4].isdigit()}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), as_of=st.sampled_from(CLOCK_CHANGE_DAYS) | st.dates(date(2000, 1, 1), date(2040, 12, 31)))
def test_every_instant_a_patient_holds_exists_in_london(seed, as_of):
    """Patients drawn around both clock changes: each instant field is London's wall time with London's offset."""
    import random

    from gpsynth.generate.patients import death_instant, practice_patients
    from gpsynth.generate.pools import pools
    from gpsynth.plan import make_plan
    from gpsynth.records import Location, Practitioner

    scenario = parse_scenario({"practices": {"count": 1, "list_size": 400},
                               "patients": {"special": {"deceased": 300}}}, "test")
    practice = make_plan(scenario, seed, as_of).practices[0]
    site = Location("L1", "Main", "X", "", pools().address(random.Random(0), 0))
    doctor = Practitioner("PR1", "1", (), "Doctor", "A", "Dr", "female", "R0260", "X")
    patients = practice_patients(random.Random(seed), pools(), scenario, practice, as_of, "X", [site], [doctor], 0)
    # The spring hour is 1 in 8,760 of a year's hours: draw it directly on the clock-change days too.
    rng = random.Random(seed)
    extra = [death_instant(rng, day) for day in CLOCK_CHANGE_DAYS for _ in range(100)]
    instants = [v for p in patients for v in patient_instants(p).values()] + extra
    deceased = [p for p in patients if p.state == "deceased"]
    assert len(deceased) == 300 and all(patient_instants(p) == {"deceased_at": p.deceased_at} for p in deceased)
    for text in instants:
        instant = datetime.fromisoformat(text)
        assert instant.utcoffset() is not None, text
        assert instant.astimezone(LONDON).isoformat(timespec="seconds") == text, text


@given(range_name=st.sampled_from(sorted(NHS_NUMBER_RANGES)), first=st.integers(0, 10**6), count=st.integers(0, 300))
def test_nhs_numbers_drawn_as_arrays_match_the_sequence(range_name, first, count):
    from itertools import islice

    from gpsynth.identifiers import nhs_number_block, nhs_numbers

    first = min(first, nhs_number_capacity(range_name) - count)
    block = nhs_number_block(range_name, first, count)
    assert block == list(islice(nhs_numbers(range_name, first), count))
    assert all(mod11_valid(n) for n in block)
