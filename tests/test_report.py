"""gpsynth report: every section is there, and its figures match the dataset as read back from the NDJSON files."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
import yaml
from chromium import png_pixels, requires_chromium
from click.testing import CliRunner
from generated import PRACTITIONER_ROLE, Generated, extension, generate

from gpsynth.cli import main
from gpsynth.report.screenshot import screenshot
from gpsynth.scenario import preset_text

AS_OF = "2027-03-19"          # Good Friday, the spring clock change and Easter Monday fall in the horizon
SECTIONS = ("summary", "counts", "utilisation", "fill-rate", "mix", "patients", "realism", "calendar", "special-patients")
DELIVERY_CHANNEL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Generated:
    """The fixture preset with two practices, as NDJSON and as a store."""
    rules = yaml.safe_load(preset_text("fixture"))
    rules["practices"]["count"] = 2
    folder = tmp_path_factory.mktemp("report")
    (folder / "two.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    return generate(folder / "out", str(folder / "two.yaml"), AS_OF, "--format", "ndjson,duckdb")


@pytest.fixture(scope="module")
def page(dataset) -> Path:
    out = dataset.folder.parent / "report.html"
    result = CliRunner().invoke(main, ["report", str(dataset.folder / "gpsynth.duckdb"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def html(page):
    return lxml.html.fromstring(page.read_bytes())


def cells(html, section: str, row_attribute: str) -> dict[str, list[str]]:
    """The table rows of a section, keyed by a data- attribute, as cell texts."""
    rows = html.xpath(f'//section[@id="{section}"]//tr[@{row_attribute}]')
    return {row.get(row_attribute): [td.text_content().strip() for td in row.xpath("td")] for row in rows}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def london_day(instant: str) -> date:
    return date.fromisoformat(instant[:10])      # instants are written in London wall-clock time


def test_every_section_is_there_and_the_page_needs_no_network(html, page):
    for section in SECTIONS:
        assert html.xpath(f'//section[@id="{section}"]'), section
        assert html.xpath(f'//section[@id="{section}"]//h2'), section
    for chart in ("utilisation", "fill-rate", "mix", "patients", "realism"):
        assert html.xpath(f'//section[@id="{chart}"]//*[local-name()="svg"]'), chart
    assert not html.xpath("//script | //link | //img | //iframe | //object")
    fetched = [value for value in html.xpath("//@src | //@href") if not value.startswith("#")]
    assert fetched == []
    assert "url(" not in page.read_text(encoding="utf-8")


def test_counts_by_type_and_practice(dataset, html):
    resources = dataset.resources
    totals = {el.get("data-figure")[len("total-"):]: number(el.text) for el in html.xpath('//dd[starts-with(@data-figure, "total-")]')}
    assert totals == {t: len(rs) for t, rs in resources.items()}

    locations = dataset.by_id("Location")
    practice_of_location = {i: loc["managingOrganization"]["reference"].removeprefix("Organization/") for i, loc in locations.items()}
    practices = {o["id"]: o for o in resources["Organization"] if o["id"] in practice_of_location.values()}
    schedules = dataset.by_id("Schedule")

    def actor_location(schedule):
        return next(a["reference"].removeprefix("Location/") for a in schedule["actor"] if a["reference"].startswith("Location/"))

    expected = {ods: Counter() for ods in practices}
    for practice in practice_of_location.values():
        expected[practice]["Location"] += 1
    for schedule in schedules.values():
        practice = practice_of_location[actor_location(schedule)]
        expected[practice]["Schedule"] += 1
        expected[practice]["Practitioner"] += sum(a["reference"].startswith("Practitioner/") for a in schedule["actor"])
    for slot in resources["Slot"]:
        expected[practice_of_location[actor_location(schedules[slot["schedule"]["reference"].removeprefix("Schedule/")])]]["Slot"] += 1
    for patient in resources["Patient"]:
        expected[patient["managingOrganization"]["reference"].removeprefix("Organization/")]["Patient"] += 1
    for appointment in resources["Appointment"]:
        location = next(p["actor"]["reference"] for p in appointment["participant"] if p["actor"]["reference"].startswith("Location/"))
        expected[practice_of_location[location.removeprefix("Location/")]]["Appointment"] += 1

    found = {}
    for row in html.xpath('//section[@id="counts"]//tr[@data-ods]'):
        found[row.get("data-ods")] = {td.get("data-type"): number(td.text) for td in row.xpath("td[@data-type]")}
    assert len(practices) == 2 and set(found) == {"consumers", *practices}
    for practice_id, counts in expected.items():
        ods = practices[practice_id]["identifier"][0]["value"]
        assert found[ods] == {"Organization": 1, **{t: counts[t] for t in found[ods] if t != "Organization"}}
    assert found["consumers"]["Organization"] == len(resources["Organization"]) - len(practices) == 2


def test_heatmap_and_fill_rate(dataset, html):
    slots, busy = Counter(), Counter()
    for slot in dataset.resources["Slot"]:
        key = (london_day(slot["start"]), int(slot["start"][11:13]))
        slots[key] += 1
        busy[key] += slot["status"] == "busy"
    titles = html.xpath('//section[@id="utilisation"]//*[local-name()="rect"]/*[local-name()="title"]/text()')
    shown = {}
    for title in titles:
        if "slots busy" in title:
            when, figures = title.split(": ")
            day, hour = datetime.strptime(when, "%a %d %b %Y %H:%M"), int(when[-5:-3])
            taken, _, total = figures.split()[:3]
            shown[(day.date(), hour)] = (int(total), int(taken))
    assert shown == {key: (n, busy[key]) for key, n in slots.items()}

    as_of = date.fromisoformat(AS_OF)
    by_day_ahead = Counter(), Counter()
    for (day, _), n in slots.items():
        by_day_ahead[0][(day - as_of).days] += n
        by_day_ahead[1][(day - as_of).days] += busy[(day, _)]
    table = cells(html, "fill-rate", "data-days-ahead")
    assert {int(k): (number(v[1]), number(v[2])) for k, v in table.items()} == {
        ahead: (n, by_day_ahead[1][ahead]) for ahead, n in by_day_ahead[0].items() if ahead >= 0}


def test_channel_and_role_mix(dataset, html):
    schedules = dataset.by_id("Schedule")
    live = [a for a in dataset.resources["Appointment"] if a["status"] != "cancelled"]
    channels = Counter(extension(s, DELIVERY_CHANNEL)["valueCode"] for s in dataset.resources["Slot"])
    booked = Counter(extension(a, DELIVERY_CHANNEL)["valueCode"] for a in live)
    assert {k: (number(v[1]), number(v[2])) for k, v in cells(html, "mix", "data-channel").items()} == {
        c: (n, booked[c]) for c, n in channels.items()}

    def role(resource):
        return extension(resource, PRACTITIONER_ROLE)["valueCodeableConcept"]["coding"][0]["code"]

    roles = Counter(role(schedules[s["schedule"]["reference"].removeprefix("Schedule/")]) for s in dataset.resources["Slot"])
    booked_roles = Counter(role(a) for a in live)
    shown = {k.rsplit("(", 1)[1].rstrip(")"): (number(v[1]), number(v[2])) for k, v in cells(html, "mix", "data-role").items()}
    assert shown == {r: (n, booked_roles[r]) for r, n in roles.items()}


def test_age_sex_pyramid(dataset, html):
    as_of = date.fromisoformat(AS_OF)
    expected = Counter()
    for patient in dataset.resources["Patient"]:
        born = date.fromisoformat(patient["birthDate"])
        age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        band = min(age // 5 * 5, 90)
        expected[("90+" if band == 90 else f"{band}-{band + 4}", patient["gender"])] += 1
    shown = cells(html, "patients", "data-band")
    assert len(shown) == 19
    assert {(band, sex): number(v[i]) for band, v in shown.items() for i, sex in ((1, "male"), (2, "female")) if number(v[i])} == expected


def test_bank_holidays_and_clock_changes_in_the_horizon(html):
    shown = cells(html, "calendar", "data-day")
    assert {day: row[1] for day, row in shown.items()} == {
        "2027-03-26": "Bank holiday: Good Friday",
        "2027-03-28": "Clock change: clocks go forward (BST, +01:00)",
        "2027-03-29": "Bank holiday: Easter Monday",
    }
    assert {row[2] for row in shown.values()} == {"0"}      # the surgeries close on bank holidays and Sundays


def test_special_patients(dataset, html):
    patients = dataset.resources["Patient"]
    booked = {a["participant"][0]["actor"]["reference"].removeprefix("Patient/") for a in dataset.resources["Appointment"]}
    deceased = {p["identifier"][0]["value"] for p in patients if "deceasedDateTime" in p}
    sensitive = {p["identifier"][0]["value"] for p in patients if p["meta"].get("security")}
    inactive = {p["identifier"][0]["value"] for p in patients if not p["active"]} - deceased
    rows = html.xpath('//section[@id="special-patients"]//tr[@data-nhs-number]')
    by_state = {}
    for row in rows:
        by_state.setdefault(row.get("data-state"), set()).add(row.get("data-nhs-number"))
    assert by_state["deceased"] == deceased and by_state["sensitive"] == sensitive and by_state["inactive"] == inactive
    assert len(rows) == 8 and len(by_state["no-appointments"]) == 2
    never_booked = {p["id"] for p in patients if p["id"] not in booked}
    ids = {row.get("data-nhs-number"): row.xpath("td")[2].text for row in rows}
    assert all(ids[n] in never_booked for n in by_state["no-appointments"])
    assert all(number(row.xpath("td")[6].text) == 0 for row in rows if row.get("data-state") == "no-appointments")


def test_report_errors_name_the_problem(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["report", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.html")])
    assert missing.exit_code == 2 and "no such store" in missing.output
    (tmp_path / "text.duckdb").write_text("not a database")
    wrong = runner.invoke(main, ["report", str(tmp_path / "text.duckdb"), "--out", str(tmp_path / "r.html")])
    assert wrong.exit_code == 2 and "not a gpsynth store" in wrong.output
    assert not (tmp_path / "r.html").exists()


@requires_chromium
def test_screenshot_in_headless_chromium(page, tmp_path):
    png = screenshot(page, tmp_path / "report.png", width=1200, height=2600)
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1200, 2600)
    assert png.stat().st_size > 50_000
    assert len(set(pixels)) > 64           # charts and text, not a blank page


def test_realism_figures_match_the_appointments(dataset, html):
    rows = cells(html, "realism", "data-metric")
    as_of = date.fromisoformat(AS_OF)
    first = as_of - timedelta(days=7)       # the fixture preset keeps a week of history
    live = [a for a in dataset.resources["Appointment"] if a["status"] != "cancelled"]
    settled = [a for a in live if first <= london_day(a["start"]) < as_of]
    same_day = sum(london_day(a["created"]) == london_day(a["start"]) for a in settled) / len(settled)
    video = sum(extension(a, DELIVERY_CHANNEL)["valueCode"] == "Video" for a in live) / len(live)
    weekend = sum(london_day(a["created"]).weekday() >= 5 for a in dataset.resources["Appointment"]) / len(
        dataset.resources["Appointment"])
    assert rows["Booked on the day (settled appointments)"][1] == f"{same_day:.1%}"
    assert rows["Video consultations"][1] == f"{video:.1%}"
    assert rows["Bookings made on Saturdays and Sundays"][1] == f"{weekend:.1%}"
    assert rows["Overlapping appointments of one patient"][1:2] == ["0"]
    assert all(row[4] in ("yes", "no", "n/a") for row in rows.values()) and len(rows) == 14
