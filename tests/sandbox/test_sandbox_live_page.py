"""The live page at `/`: the practice's appointment book (days × clinicians, free / booked / restricted) and the
latest requests with their verdicts, rendered by headless Chromium, checked against the store, and changing as
bookings happen."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import duckdb
import httpx
import lxml.html
import pytest
from chromium import dump_dom, png_pixels, requires_chromium
from consumer_journal import trace_id
from gpc_requests import default_claims
from sandbox_process import ODS, GpcClient, SandboxServer, booking, days_ahead, entries

from gpsynth.calendar import LONDON
from gpsynth.report.screenshot import screenshot
from gpsynth.sandbox.conformance.live_page import DAYS
from gpsynth.sandbox.interactions import BY_NAME

TOKEN = "s3cret"


def slot_states(store) -> tuple[Counter, dict[str, str]]:
    """Slots of the practice starting in the page's days, by state, read from the store file itself."""
    first = days_ahead(0)
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(
            "SELECT s.id, s.start, s.status, s.bookable, s.restrict_org_types, s.restrict_ods_codes, "
            "sc.practitioner_id FROM slot s JOIN schedule sc ON sc.id = s.schedule_id "
            "JOIN organization o ON o.id = sc.organization_id WHERE o.ods_code = ?", [ODS]).fetchall()
    finally:
        con.close()
    states = {}
    for slot_id, start, status, bookable, org_types, ods_codes, _ in rows:
        if first <= start.astimezone(LONDON).date() < first + timedelta(days=DAYS):
            states[slot_id] = ("booked" if status != "free" else
                               "restricted" if org_types or ods_codes or not bookable else "free")
    return Counter(states.values()), states


@pytest.fixture(scope="module")
def before(store_copy):
    return slot_states(store_copy)


@pytest.fixture(scope="module")
def server(store_copy, before, tmp_path_factory):
    server = SandboxServer(store_copy, tmp_path_factory.mktemp("log") / "serve.log", "--admin", "--admin-token",
                           TOKEN).start()
    yield server
    server.stop()


def call(server, http, interaction, path, **kwargs) -> httpx.Response:
    claims = default_claims(int(time.time()), BY_NAME[interaction].scope)
    headers = {**GpcClient(server.base(), http).headers(interaction, claims), "Ssp-TraceID": trace_id()}
    if "json" in kwargs:
        headers["Content-Type"] = "application/fhir+json"
    return http.request(BY_NAME[interaction].method, server.base() + path, headers=headers, **kwargs)


def page_counts(dom) -> dict[str, int]:
    return {b.get("data-count"): int(b.text) for b in dom.xpath('//section[@id="book"]//b[@data-count]')}


@requires_chromium
def test_the_live_page_shows_the_book_and_follows_bookings(server, before):
    counts, states = before
    dom = lxml.html.fromstring(dump_dom(server.origin + "/", wait_ms=3000))
    assert dom.xpath('//section[@id="book"]/@data-practice') == [ODS]
    assert page_counts(dom) == {state: counts[state] for state in ("free", "booked", "restricted")}
    marks = dom.xpath('//table[@class="book"]//td/i')
    assert Counter(mark.get("class") for mark in marks) == counts
    days = dom.xpath('//table[@class="book"]/thead//th/text()')[1:]
    assert days == [(days_ahead(n)).strftime("%a %d %b") for n in range(DAYS)]
    assert len(dom.xpath('//table[@class="book"]/tbody/tr')) >= 2          # one row per clinician's schedule
    assert not dom.xpath("//link | //img | //iframe | //object | //script[@src]")

    with httpx.Client(timeout=30) as http:
        query = {"status": "free", "start": f"ge{days_ahead(1)}", "end": f"le{days_ahead(2)}", "_include": "Slot:schedule"}
        searched = call(server, http, "search_free_slots", "/Slot", params=query).json()
        slot = next(s for s in entries(searched, "Slot") if states.get(s["id"]) == "free")
        schedule = {s["id"]: s for s in entries(searched, "Schedule")}[slot["schedule"]["reference"][9:]]
        booked = call(server, http, "book_appointment", "/Appointment", json=booking(slot, schedule, patient_id="2"))
        assert booked.status_code == 201, booked.text
        refused = call(server, http, "search_free_slots", "/Slot", params={**query, "status": "busy"})
        assert refused.status_code == 422

    dom = lxml.html.fromstring(dump_dom(server.origin + "/"))
    assert page_counts(dom) == {"free": counts["free"] - 1, "booked": counts["booked"] + 1,
                                "restricted": counts["restricted"]}
    start = datetime.fromisoformat(slot["start"]).astimezone(LONDON).strftime("%H:%M")
    row = dom.xpath(f'//tr[@data-schedule="{schedule["id"]}"]')[0]
    day = (datetime.fromisoformat(slot["start"]).astimezone(LONDON).date() - days_ahead(0)).days
    assert f"{start} booked" in row.xpath("td")[day].xpath("i/@title")

    requests = dom.xpath('//section[@id="requests"]//tbody/tr')
    latest = [[td.text_content().strip() for td in tr.xpath("td")] for tr in requests[:3]]
    assert [cells[2] for cells in latest] == ["search_free_slots", "book_appointment", "search_free_slots"]
    assert requests[0].get("class") == "broke" and requests[0].xpath('.//span[@class="rule"]/text()') == ["slot-status"]
    assert latest[1][3] == "201" and requests[1].get("class") == "clean"


@requires_chromium
def test_the_refreshing_part_and_a_screenshot(server, tmp_path):
    with httpx.Client(timeout=30) as http:
        part = http.get(server.origin + f"/_gpsynth/live?practice={ODS}&part=1")
        assert part.status_code == 200 and part.headers["cache-control"] == "no-store"
        assert "<html" not in part.text and 'id="book"' in part.text
        unknown = http.get(server.origin + "/?practice=<b>NOPE")
        assert unknown.status_code == 404 and "<b>NOPE" not in unknown.text
    dom = lxml.html.fromstring(dump_dom(server.origin + "/", wait_ms=5000))   # the page after its script refreshed it
    assert dom.xpath('//main[@id="live"]/section[@id="book"]/@data-practice') == [ODS]
    png = screenshot(server.origin + "/", tmp_path / "live.png", width=1300, height=900)
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1300, 900) and len(set(pixels)) > 64


def test_chaos_rules_need_the_admin_token(server):
    with httpx.Client(timeout=30) as http:
        rules = "rules: [{fault: latency, latency: {distribution: fixed, ms: 1}}]"
        refused = http.put(server.origin + "/_gpsynth/chaos", content=rules)
        assert refused.status_code == 401 and "--admin-token" in refused.text
        assert http.get(server.origin + "/_gpsynth/chaos", headers={"Authorization": "Bearer wrong"}).status_code == 401
        allowed = http.put(server.origin + "/_gpsynth/chaos", content=rules, headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and allowed.json()["rules"][0]["fault"] == "latency"
        assert http.delete(server.origin + "/_gpsynth/chaos", headers={"Authorization": f"Bearer {TOKEN}"}).json() == {
            "seed": 0, "rules": []}
