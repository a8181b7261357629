"""The nesting guard: counting brackets first never changes its answer."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from gpsynth.sandbox.nesting import json_too_deep, too_deep

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(alphabet="{}[]ab\"\\", max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=40)


@given(json_values, st.integers(min_value=1, max_value=12))
def test_json_too_deep_agrees_with_the_walk(value, limit):
    raw = orjson.dumps(value)
    assert json_too_deep(raw, value, limit) == too_deep(value, limit)


def test_a_value_one_level_beyond_the_limit_is_found_and_one_at_it_is_not():
    assert json_too_deep(orjson.dumps([[[]]]), [[[]]], 3) is False
    assert json_too_deep(orjson.dumps([[[[]]]]), [[[[]]]], 3) is True
