"""Properties of the rules' building blocks, over many inputs: NHS numbers and London instants."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from generated import mod11_valid
from hypothesis import given
from hypothesis import strategies as st

from gpsynth.calendar import LONDON, london_instant, london_offset
from gpsynth.identifiers import NHS_NUMBER_RANGES, nhs_number, nhs_number_capacity


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


def test_the_skipped_spring_hour_moves_forward_and_the_repeated_autumn_hour_is_bst():
    assert london_instant(date(2026, 3, 29), time(1, 0)) == "2026-03-29T02:00:00+01:00"
    assert london_instant(date(2026, 3, 29), time(0, 59)) == "2026-03-29T00:59:00+00:00"
    assert london_instant(date(2026, 10, 25), time(1, 30)) == "2026-10-25T01:30:00+01:00"
