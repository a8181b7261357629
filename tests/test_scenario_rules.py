"""Scenario rules as typed models: hostile YAML always ends in one clear line, never a traceback."""

from __future__ import annotations

import copy
from datetime import time

import pydantic
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gpsynth.cli import main
from gpsynth.errors import ScenarioError
from gpsynth.scenario import DEFAULTS, OPEN_MAPS, load_scenario, parse_scenario, preset_names, scenario_from_text
from gpsynth.scenario_models import FixedPatient, FixedPractice, FixedPractitioner, FixedSite, Scenario, StaffGroup
from gpsynth.scenario_reference import rules_markdown

SOURCE = "hostile.yaml"

scalars = (st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats() | st.text(max_size=12)
           | st.sampled_from(["england", "08:30", "mon", "gp", "GPS", "In-person", "9658218865", "10-20", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8) | st.integers(0, 12), inner, max_size=4), max_leaves=12)


def paths(node, prefix=()):
    """Every key path of a document, lists included."""
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from paths(child, (*prefix, key))


def with_items(document: dict) -> dict:
    """The defaults with one of every optional list item, so their keys are targets too."""
    document = copy.deepcopy(document)
    document["staff"][0].update({"count": 1, "days": ["mon"], "sessions_per_week": {6: 1.0}, "female_share": 0.5})
    del document["staff"][0]["per_10000"]
    document["practices"]["fixed"] = [{
        "ods": "A20047", "sites": [{"id": "1", "name": "Main", "ods_site_code": "Z1"}],
        "practitioners": [{"id": "1", "role_profile_ids": ["1"], "gender": "female"}],
        "patients": [{"nhs_number": "9658218865", "state": "sensitive", "birth_date": "1970-01-01"}]}]
    document["availability"]["restrictions"].append({"ods_codes": ["GPSH01"], "share": 0.1})
    return document


BASE = with_items(DEFAULTS)
TARGETS = [path for path in paths(BASE) if path]


def has(node, key) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


def holder(document, path):
    """The mapping or list holding the last key of `path`, or None where an earlier change took the way away."""
    node = document
    for key in path[:-1]:
        if not has(node, key):
            return None
        node = node[key]
    return node if has(node, path[-1]) else None


@st.composite
def hostile_documents(draw) -> dict:
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(TARGETS))
        node = holder(document, path)
        if node is None:
            continue
        if draw(st.booleans()):
            node[path[-1]] = draw(values)
        elif isinstance(node, dict):   # a key nobody defined, beside a real one
            node[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return document


def assert_one_clear_line(error: ScenarioError, source: str = SOURCE):
    message = str(error)
    assert "\n" not in message and message.startswith(source), message
    assert len(message) < 1200, message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=hostile_documents())
def test_hostile_rules_give_a_scenario_or_one_clear_line(document):
    text = yaml.safe_dump(document, sort_keys=False)
    try:
        scenario = scenario_from_text(text, SOURCE)
    except ScenarioError as error:
        assert_one_clear_line(error)
    else:
        assert isinstance(scenario, Scenario) and scenario.staff


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200) | st.lists(st.sampled_from(["a:", " - ", "{", "}", "[", "]", "&x", "*x", ":", "\n", "  ",
                                                             "'", '"', "!!python/object:os.system", "? ", "---"]),
                                             max_size=30).map("".join))
def test_arbitrary_text_gives_a_scenario_or_one_clear_line(text):
    try:
        scenario_from_text(text, SOURCE)
    except ScenarioError as error:
        assert_one_clear_line(error)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=hostile_documents())
def test_the_cli_turns_hostile_rules_into_error_and_exit_2(tmp_path, document):
    text = yaml.safe_dump(document, sort_keys=False)
    try:
        scenario_from_text(text, "x")
    except ScenarioError:
        pass
    else:
        assume(False)   # valid rules would generate a dataset; that is covered elsewhere
    rules, out = tmp_path / "rules.yaml", tmp_path / "out"
    rules.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "--scenario", str(rules), "--as-of", "2026-03-20", "--out", str(out)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    message = result.stderr.rstrip("\n")
    assert "\n" not in message and message.startswith(f"error: {rules}"), message
    assert not out.exists()


def test_aliases_that_expand_exponentially_fail_fast_with_a_short_message():
    levels = ["&a0 [" + ", ".join(["x"] * 10) + "]"]
    levels += [f"&a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, 9)]   # 10**9 leaves
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text("name: [" + ", ".join(levels) + "]\n", SOURCE)
    assert_one_clear_line(caught.value)
    assert str(caught.value).startswith(f"{SOURCE}:1:1: name: must be non-empty text, got [[")


def test_an_error_in_a_block_points_at_its_line_and_column():
    text = "name: mine\nstaff:\n  - role: gp\n    count: 1\n    slot_minutes: 7\n"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}:5:5: staff[0].slot_minutes: 7-minute slots do not divide session 'morning'")


def test_an_error_in_rules_left_to_the_defaults_names_the_key_without_a_line():
    """Sessions the default GP group cannot fill in whole 10-minute slots: the fault is in staff, which the file never wrote."""
    text = "sessions:\n  morning: {start: '08:00', end: '08:25'}\n  afternoon: {start: '14:00', end: '18:00'}\n"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: staff[0].slot_minutes: 10-minute slots do not divide session 'morning'")


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_reads_into_frozen_typed_sections(preset):
    scenario = load_scenario(preset)
    assert scenario.practices.count >= 1 and scenario.practices.list_size.mean >= 1
    assert all(isinstance(group, StaffGroup) and group.days for group in scenario.staff)
    assert all(isinstance(session.start, time) and session.name == name for name, session in scenario.sessions.items())
    assert scenario.rules_yaml and yaml.safe_load(scenario.rules_yaml)["name"] == scenario.name
    with pytest.raises(pydantic.ValidationError):
        scenario.calendar.horizon_days = 1   # type: ignore[misc]


def test_no_rules_give_the_published_defaults():
    scenario = parse_scenario({}, "<defaults>")
    assert scenario.calendar.horizon_days == DEFAULTS["calendar"]["horizon_days"]
    assert scenario.calendar.working_days == (0, 1, 2, 3, 4)
    assert scenario.demand.weekday_weights == tuple(DEFAULTS["demand"]["weekday_weights"].values())
    assert scenario.availability.booking_window.max_days_ahead == DEFAULTS["availability"]["booking_window"]["max_days_ahead"]
    assert [g.role_code for g in scenario.staff] == ["R0260", "R0620", "R1480"]
    assert scenario.patients.female_share is None and scenario.patients.age_bands is None
    assert yaml.safe_load(scenario.rules_yaml) == DEFAULTS


def test_a_staff_group_without_days_works_the_practice_days():
    scenario = parse_scenario({"calendar": {"working_days": ["tue", "mon"]},
                               "staff": [{"role": "gp", "count": 1}, {"role": "gp", "count": 1, "days": ["sat"]}]}, "x")
    assert [group.days for group in scenario.staff] == [(0, 1), (5,)]


def test_the_rule_reference_names_every_key_with_its_type_and_default():
    reference = rules_markdown()
    for section, rules in DEFAULTS.items():
        assert f"| `{section}` |" in reference, section
        if isinstance(rules, dict) and section not in OPEN_MAPS:
            for key in rules:
                assert f"| `{section}.{key}` |" in reference, (section, key)
    for model in (StaffGroup, FixedPractice, FixedSite, FixedPractitioner, FixedPatient):
        for key in model.keys():
            assert f".{key}` |" in reference, (model.__name__, key)
    assert "| `sessions.NAME.breaks` | list of {start, end}, times of day HH:MM |" in reference   # a break's keys
    assert "| `calendar.horizon_days` | whole number of days, 1 or more | `28` |" in reference
    assert "| `staff[].slot_minutes` | whole number, 1 or more | `10` |" in reference
    assert "| `consumers[].type` | gp-practice \\| urgent-care | `urgent-care` |" in reference
