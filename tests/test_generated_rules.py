"""Generated data obeys the rules: rota and calendar, bookings, clock changes and NHS numbers.

Expectations come from the scenario's own dataclasses, the holidays package and zoneinfo, never from the
generator's helpers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
import pytest
from generated import (
    ACTIVE,
    CANCELLATION_REASON,
    DELIVERY_CHANNEL,
    NHS_NUMBER,
    PRACTITIONER_ROLE,
    extension,
    mod11_valid,
    slot_ids,
    wall_clock,
)

from gpsynth.scenario import Session

LONDON = ZoneInfo("Europe/London")


def stretches(session: Session):
    """The parts of a session between its breaks, as (start, end) times of day."""
    edges = [session.start, *[t for pause in session.breaks for t in pause], session.end]
    return list(zip(edges[::2], edges[1::2], strict=True))


def staff_groups(data) -> dict[str, list]:
    """Each schedule's possible staff groups: same SDS role and same session type."""
    groups = {}
    for schedule in data.resources["Schedule"]:
        role = extension(schedule, PRACTITIONER_ROLE)["valueCodeableConcept"]["coding"][0]["code"]
        groups[schedule["id"]] = [g for g in data.scenario.staff
                                  if g.role_code == role and g.schedule_type == schedule["serviceCategory"]["text"]]
        assert groups[schedule["id"]], schedule
    return groups


def fits_a_session(scenario, group, start: datetime, end: datetime) -> bool:
    if start.date() != end.date() or end - start != timedelta(minutes=group.slot_minutes):
        return False
    for name in group.sessions:
        for first, last in stretches(scenario.sessions[name]):
            begin = datetime.combine(start.date(), first)
            if begin <= start and end <= datetime.combine(start.date(), last) \
                    and (start - begin) % timedelta(minutes=group.slot_minutes) == timedelta(0):
                return True
    return False


def england_bank_holidays(first: date, last: date) -> set[date]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return {day for day in calendar if first <= day <= last}


def calendar_days(data) -> list[date]:
    first = data.as_of - timedelta(days=data.scenario.calendar.history_days)
    return [first + timedelta(days=n) for n in range(data.scenario.calendar.history_days + data.scenario.calendar.horizon_days)]


def test_every_slot_lies_in_a_session_of_its_clinician(dataset):
    groups = staff_groups(dataset)
    outside = [s for s in dataset.resources["Slot"]
               if not any(fits_a_session(dataset.scenario, g, wall_clock(s["start"]), wall_clock(s["end"]))
                          for g in groups[s["schedule"]["reference"].removeprefix("Schedule/")])]
    assert dataset.resources["Slot"]
    assert not outside, outside[:3]


def test_slots_fall_on_their_groups_days_of_the_calendar_only(dataset):
    """A group works the working days unless it names others (extended access on Saturdays)."""
    groups, scenario = staff_groups(dataset), dataset.scenario
    days = calendar_days(dataset)
    closed = england_bank_holidays(days[0], days[-1]) if scenario.calendar.closed_on_bank_holidays else set()
    schedules = dataset.by_id("Schedule")
    slot_days = set()
    for slot in dataset.resources["Slot"]:
        schedule_id = slot["schedule"]["reference"].removeprefix("Schedule/")
        day = wall_clock(slot["start"]).date()
        horizon = schedules[schedule_id]["planningHorizon"]
        assert days[0] <= day <= days[-1] and horizon["start"][:10] <= day.isoformat() <= horizon["end"][:10], slot
        assert any(day.weekday() in g.days for g in groups[schedule_id]), slot
        assert day not in closed, (slot, closed)
        slot_days.add(day)
    clinic_days = {weekday for gs in groups.values() for g in gs for weekday in g.days}
    open_days = {d for d in days if d.weekday() in clinic_days and d not in closed}
    assert slot_days == open_days


@pytest.mark.parametrize("name, expected", [
    ("spring", {date(2026, 4, 3), date(2026, 4, 6)}),                        # Good Friday, Easter Monday
    ("christmas", {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}),  # 28th: Boxing Day's substitute
])
def test_no_slot_on_an_england_bank_holiday(request, name, expected):
    data = request.getfixturevalue(name)
    days = calendar_days(data)
    closed = england_bank_holidays(days[0], days[-1])
    assert data.scenario.calendar.closed_on_bank_holidays
    assert expected <= closed
    slot_days = Counter(wall_clock(s["start"]).date() for s in data.resources["Slot"])
    assert not closed & set(slot_days)
    for holiday in expected:
        working_neighbours = [d for d in (holiday - timedelta(days=7), holiday + timedelta(days=7)) if days[0] <= d <= days[-1]]
        assert any(slot_days[d] for d in working_neighbours), holiday


def test_no_slot_is_booked_twice(dataset):
    holders = Counter(slot for a in dataset.resources["Appointment"] if a["status"] in ACTIVE for slot in slot_ids(a))
    assert holders
    assert max(holders.values()) == 1


def test_slots_are_busy_exactly_when_an_active_appointment_books_them(dataset):
    held = {slot for a in dataset.resources["Appointment"] if a["status"] in ACTIVE for slot in slot_ids(a)}
    busy = {s["id"] for s in dataset.resources["Slot"] if s["status"] == "busy"}
    assert {s["status"] for s in dataset.resources["Slot"]} <= {"free", "busy", "busy-unavailable"}
    assert busy == held


def test_a_clinician_unavailable_cancellation_takes_its_slot_out_of_the_book(dataset):
    held = {slot for a in dataset.resources["Appointment"] if a["status"] in ACTIVE for slot in slot_ids(a)}
    withdrawn = {slot for a in dataset.resources["Appointment"] if a["status"] == "cancelled"
                 and extension(a, CANCELLATION_REASON)["valueString"] == "Clinician unavailable"
                 for slot in slot_ids(a)} - held
    unavailable = {s["id"] for s in dataset.resources["Slot"] if s["status"] == "busy-unavailable"}
    assert withdrawn and unavailable == withdrawn


def test_each_appointment_spans_its_contiguous_slots(dataset):
    slots = dataset.by_id("Slot")
    lengths = Counter()
    for appointment in dataset.resources["Appointment"]:
        booked = [slots[i] for i in slot_ids(appointment)]
        lengths[len(booked)] += 1
        assert appointment["start"] == booked[0]["start"] and appointment["end"] == booked[-1]["end"], appointment["id"]
        for before, after in pairwise(booked):
            assert before["end"] == after["start"], appointment["id"]
        assert len({s["schedule"]["reference"] for s in booked}) == 1, appointment["id"]
        channels = {extension(s, DELIVERY_CHANNEL)["valueCode"] for s in booked}
        assert channels == {extension(appointment, DELIVERY_CHANNEL)["valueCode"]}, appointment["id"]
        minutes = (datetime.fromisoformat(appointment["end"]) - datetime.fromisoformat(appointment["start"])) / timedelta(minutes=1)
        assert appointment["minutesDuration"] == minutes
    assert lengths[1] and sum(n for size, n in lengths.items() if size > 1), lengths


def test_cancelled_appointments_carry_a_reason_and_free_their_slots_unless_the_clinician_is_away(dataset):
    slots = dataset.by_id("Slot")
    cancelled = [a for a in dataset.resources["Appointment"] if a["status"] == "cancelled"]
    assert cancelled
    for appointment in dataset.resources["Appointment"]:
        reason = extension(appointment, CANCELLATION_REASON)
        if appointment["status"] == "cancelled":
            assert reason["valueString"] in dataset.scenario.demand.cancellation_reasons
            left = "busy-unavailable" if reason["valueString"] == "Clinician unavailable" else "free"
            assert all(slots[i]["status"] == left for i in slot_ids(appointment)), appointment["id"]
        else:
            assert reason is None


def test_description_and_comment_keep_to_their_limits(dataset):
    appointments = dataset.resources["Appointment"]
    assert all(0 < len(a["description"]) <= 100 and len(a.get("comment", "")) <= 500 for a in appointments)


def instants(data):
    for slot in data.resources["Slot"]:
        yield slot["start"]
        yield slot["end"]
    for appointment in data.resources["Appointment"]:
        yield from (appointment["start"], appointment["end"], appointment["created"])
    for schedule in data.resources["Schedule"]:  # GPConnect-Schedule-1: planningHorizon is a Period of dateTimes
        yield from (schedule["planningHorizon"]["start"], schedule["planningHorizon"]["end"])
    for patient in data.resources["Patient"]:
        if "deceasedDateTime" in patient:
            yield patient["deceasedDateTime"]


def test_every_time_carries_londons_offset_for_its_date(dataset):
    offsets = Counter()
    for instant in instants(dataset):
        written = datetime.fromisoformat(instant)
        expected = written.replace(tzinfo=LONDON)
        assert written.utcoffset() == expected.utcoffset(), instant
        assert expected.astimezone(LONDON).replace(tzinfo=None) == written.replace(tzinfo=None), instant  # exists
        offsets[instant[-6:]] += 1
    assert set(offsets) <= {"+00:00", "+01:00"}
    horizons = [s["planningHorizon"] for s in dataset.resources["Schedule"]]
    assert horizons and all(h["start"][10:19] == "T00:00:00" and h["end"][10:19] == "T23:59:59" for h in horizons)


@pytest.mark.parametrize("name, before, after", [
    ("spring", (date(2026, 3, 27), "+00:00"), (date(2026, 3, 30), "+01:00")),   # clocks go forward on 29 March 2026
    ("autumn", (date(2026, 10, 23), "+01:00"), (date(2026, 10, 26), "+00:00")),  # clocks go back on 25 October 2026
])
def test_offsets_either_side_of_the_clock_change(request, name, before, after):
    data = request.getfixturevalue(name)
    by_day = defaultdict(set)
    for instant in instants(data):
        by_day[date.fromisoformat(instant[:10])].add(instant[-6:])
    for day, offset in (before, after):
        assert by_day[day] == {offset}, day


def test_nhs_numbers_are_valid_distinct_and_in_the_test_range(dataset):
    numbers = [i["value"] for p in dataset.resources["Patient"] for i in p["identifier"] if i["system"] == NHS_NUMBER]
    assert len(numbers) == len(dataset.resources["Patient"])
    assert dataset.scenario.patients.nhs_number_range == "999"
    assert all(mod11_valid(n) and n.startswith("999") for n in numbers), [n for n in numbers if not mod11_valid(n)][:3]
    assert len(set(numbers)) == len(numbers)


def test_the_network_runs_extended_access_on_saturdays_and_evenings_and_never_on_sundays(christmas):
    schedules = christmas.by_id("Schedule")
    by_weekday = Counter()
    for slot in christmas.resources["Slot"]:
        day = date.fromisoformat(slot["start"][:10])
        kind = schedules[slot["schedule"]["reference"].removeprefix("Schedule/")]["serviceCategory"]["text"]
        by_weekday[(day.weekday(), kind, slot["start"][11:13] >= "18")] += 1
    assert by_weekday[(5, "Extended access", False)] > 0
    assert sum(n for (weekday, kind, evening), n in by_weekday.items() if kind == "Extended access" and evening) > 0
    assert not any(weekday == 6 for weekday, *_ in by_weekday)
    assert all(kind == "Extended access" for (weekday, kind, _), n in by_weekday.items() if weekday == 5)
