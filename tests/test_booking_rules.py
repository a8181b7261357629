"""Properties of the demand, route and workforce rules, over many inputs, and hostile demand/workforce rules."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gpsynth.calendar import days_between
from gpsynth.errors import ScenarioError
from gpsynth.generate import routes
from gpsynth.generate.bookings import no_show_share
from gpsynth.generate.demand import day_fill, slot_fill
from gpsynth.generate.practice import practice_shard
from gpsynth.generate.reasons import REMOTE, reasons_for
from gpsynth.generate.rota import worked_sessions
from gpsynth.plan import make_plan
from gpsynth.scenario import parse_scenario

DEFAULTS = parse_scenario({}, "<test>")
FIRST = date(2026, 11, 2)   # a Monday




@settings(max_examples=80, deadline=None)
@given(demand=st.floats(0, 1e6), capacities=st.lists(st.integers(0, 400), min_size=1, max_size=21),
       max_fill=st.floats(0, 1))
def test_a_day_never_fills_past_max_fill_and_books_no_more_than_the_demand(demand, capacities, max_fill):
    scenario = parse_scenario({"demand": {"max_fill": max_fill}}, "<test>")
    days = [FIRST + timedelta(days=n) for n in range(len(capacities))]
    fill = day_fill(scenario, demand, dict(zip(days, capacities, strict=True)), days)
    assert set(fill) == {day for day, n in zip(days, capacities, strict=True) if n}
    assert all(0 <= share <= max_fill + 1e-12 for share in fill.values())
    booked = sum(fill[day] * n for day, n in zip(days, capacities, strict=True) if n)
    weights = scenario.demand.weekday_weights
    waiting = demand / 365 / (sum(weights) / 7) * (1 + sum(weights[d.weekday()] for d in days))
    assert booked <= waiting + 1e-6


def test_needs_from_the_weekend_fill_monday_first():
    days = [FIRST + timedelta(days=n) for n in range(14)]
    fill = day_fill(DEFAULTS, 40 * 365, {day: 100 for day in days if day.weekday() < 5}, days)
    assert fill[FIRST + timedelta(days=7)] > fill[FIRST + timedelta(days=8)] > 0


@given(share=st.floats(0, 1), start=st.sampled_from(["08:30:00", "11:50:00", "14:00:00", "17:40:00"]))
def test_mornings_fill_before_afternoons(share, start):
    morning, afternoon = slot_fill(DEFAULTS, share, start < "12"), slot_fill(DEFAULTS, share, False)
    assert morning >= afternoon if start < "12" else morning == afternoon
    assert 0 <= morning <= DEFAULTS.demand.max_fill


@given(draw=st.floats(0, 1, exclude_max=True), median=st.integers(1, 60), most=st.integers(1, 90))
def test_a_routine_lead_is_at_least_a_day_and_at_most_the_booking_window(draw, median, most):
    assert 1 <= routes.routine_lead(draw, median, most) <= max(1, most)


minutes = st.integers(0, 24 * 60 - 1)
days = st.dates(date(2026, 1, 1), date(2027, 12, 31)).map(date.toordinal)
WEEKDAY_DESK = routes.DeskDays(date(2026, 1, 1), date(2027, 12, 31), lambda d: d.weekday() < 5)


@given(draw=st.floats(0, 1, exclude_max=True), start=minutes)
def test_same_day_bookings_come_after_release_and_by_the_start(draw, start):
    made = routes.same_day_time(start, draw)
    assert made <= start
    if start >= routes.RELEASE + 5:
        assert made >= routes.RELEASE


@given(draw=st.floats(0, 1, exclude_max=True), lead=st.sampled_from([0, 1]), start=minutes, day=days)
def test_urgent_care_books_today_or_yesterday_before_the_start(draw, lead, start, day):
    made_day, made_at = routes.urgent_care_time(day, start, lead, draw)
    assert day - made_day == lead
    assert 0 <= made_at < 24 * 60
    assert routes.created_by(made_day, made_at, day, start)


@given(day=days, lead=st.integers(1, 14))
def test_the_hub_books_monday_to_saturday(day, lead):
    booked = int(routes.hub_day(day, lead))
    assert booked <= day - lead and date.fromordinal(booked).weekday() != 6


@given(day=days)
def test_the_desk_books_only_on_open_days(day):
    booked = int(WEEKDAY_DESK(day))
    assert booked <= day and date.fromordinal(booked).weekday() < 5


def test_the_desk_books_on_the_day_when_no_day_in_two_weeks_is_open():
    closed = routes.DeskDays(date(2026, 1, 1), date(2026, 3, 1), lambda d: d < date(2026, 1, 10))
    assert int(closed(date(2026, 2, 1).toordinal())) == date(2026, 2, 1).toordinal()
    assert int(closed(date(2026, 1, 20).toordinal())) == date(2026, 1, 9).toordinal()


@given(role=st.sampled_from(["R0260", "R0620", "R1480", "R1290", "R0600"]),
       channel=st.sampled_from(["In-person", "Telephone", "Video"]), gender=st.sampled_from(["female", "male"]),
       age=st.integers(0, 110))
def test_reasons_fit_role_channel_and_patient(role, channel, gender, age):
    for reason in reasons_for(role, channel, gender, age):
        if channel in REMOTE:
            assert reason not in ("Wound dressing", "Vaccination", "Blood test", "Cervical screening")
        if reason in ("Contraception review", "Cervical screening"):
            assert gender == "female" and 15 <= age <= 64
        if reason == "Childhood immunisations":
            assert age <= 5


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), weekly=st.integers(1, 10), leave=st.integers(0, 20), training=st.integers(0, 30))
def test_a_clinician_works_at_most_their_weekly_sessions_on_open_days(seed, weekly, leave, training):
    scenario = parse_scenario({"workforce": {"annual_leave_weeks": leave, "training_days": training},
                               "staff": [{"role": "gp", "count": 1, "sessions_per_week": {weekly: 1.0}}]}, "<test>")
    group = scenario.staff[0]
    days = list(days_between(date(2026, 11, 2), date(2027, 1, 31)))
    worked = worked_sessions(random.Random(seed), scenario, group, days)
    by_week: dict = {}
    for day, session in worked:
        assert day.weekday() in group.days and session in group.sessions
        by_week.setdefault(day.isocalendar()[:2], set()).add((day.weekday(), session))
    patterns = {frozenset(s) for s in by_week.values()}
    assert all(len(p) <= weekly for p in patterns)
    assert len(set().union(*patterns)) <= weekly if patterns else True


def test_leave_and_part_time_average_out_near_the_configured_figures():
    scenario = parse_scenario({"staff": [{"role": "gp", "count": 1}]}, "<test>")
    days = list(days_between(date(2027, 1, 4), date(2027, 12, 26)))   # 51 weeks, 4 bank holidays out of term
    weekly = [len(worked_sessions(random.Random(seed), scenario, scenario.staff[0], days)) / 51 for seed in range(300)]
    mean = sum(weekly) / len(weekly)
    # ~6.3 sessions a week in the default GP mix, less six weeks' leave, five training days and bank holidays.
    assert 4.8 <= mean <= 5.9, mean


HOSTILE = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=5),
                    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
KEYS = [("demand", "scale"), ("demand", "max_fill"), ("demand", "rates_per_year"), ("demand", "weekday_weights"),
        ("demand", "same_day_share"), ("demand", "routine_median_days"), ("demand", "morning_weight"),
        ("workforce", "annual_leave_weeks"), ("workforce", "training_days")]


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(KEYS), value=HOSTILE)
def test_hostile_demand_and_workforce_rules_fail_with_the_key_named(key, value):
    section, name = key
    try:
        parse_scenario({section: {name: value}}, "rules.yaml")
    except ScenarioError as error:
        assert f"{section}.{name}" in str(error) and "rules.yaml" in str(error)


@settings(max_examples=100, deadline=None)
@given(field=st.sampled_from(["per_10000", "sessions_per_week", "female_share"]), value=HOSTILE)
def test_hostile_staff_rules_fail_with_the_key_named(field, value):
    try:
        parse_scenario({"staff": [{"role": "gp", field: value}]}, "rules.yaml")
    except ScenarioError as error:
        assert "staff" in str(error) and "rules.yaml" in str(error)


@pytest.mark.parametrize("rules, key, fragment", [
    ({"staff": [{"role": "gp", "count": 2, "per_10000": 5}]}, "staff[0].per_10000", "not both"),
    ({"demand": {"rates_per_year": {"0-110": {"female": 5}}}}, "demand.rates_per_year.0-110", "female and for male"),
    ({"demand": {"rates_per_year": {"old": {"female": 5, "male": 4}}}}, "demand.rates_per_year.old", "LOW-HIGH"),
    ({"demand": {"weekday_weights": {"someday": 1}}}, "demand.weekday_weights.someday", "unknown day"),
    ({"staff": [{"role": "gp", "sessions_per_week": {0: 1.0}}]}, "staff[0].sessions_per_week.0", "at least 1"),
])
def test_bad_demand_rules_name_the_key_and_what_is_allowed(rules, key, fragment):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(yaml.safe_load(yaml.safe_dump(rules)), "rules.yaml")
    assert key in str(caught.value) and fragment in str(caught.value)


@given(base=st.floats(0, 0.2), age=st.integers(0, 110), leads=st.tuples(st.integers(0, 60), st.integers(0, 60)))
def test_longer_leads_miss_more_appointments(base, age, leads):
    short, long = sorted(leads)
    assert no_show_share(base, short, age) <= no_show_share(base, long, age) <= 1


@given(base=st.floats(0, 0.2), lead=st.integers(0, 60))
def test_young_adults_miss_more_than_older_patients(base, lead):
    assert no_show_share(base, lead, 30) >= no_show_share(base, lead, 50) >= no_show_share(base, lead, 80)


def booked_share(rules: dict) -> float:
    plan = make_plan(parse_scenario({"practices": {"list_size": 2000}, **rules}, "<test>"), 1, date(2026, 12, 3))
    shard = practice_shard(plan, plan.practices[0])
    past = [s for s in shard.slots if s.start[:10] < "2026-12-03"]
    return sum(s.status != "free" for s in past) / len(past)


def test_demand_scale_asks_for_an_empty_a_normal_or_an_over_full_book():
    empty, normal, full = (booked_share({"demand": {"scale": scale}}) for scale in (0, 1, 5))
    assert empty == 0
    assert 0.4 < normal < 0.9
    assert full > 0.85 and full > normal   # max_fill 0.95, less the cancelled slots freed again
