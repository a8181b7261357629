"""gpsynth report --journal: a consumer's session against a real sandbox, reported; every figure checked against
the journal lines it was built from; a journal that is not one refused with exit 2."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import lxml.html
import pytest
import yaml
from click.testing import CliRunner
from consumer_journal import journal_line, journal_lines, trace_id
from gpc_requests import default_claims
from sandbox_process import GpcClient, SandboxServer, booking, days_ahead, entries

from gpsynth.cli import main
from gpsynth.sandbox.interactions import BY_NAME

PATIENT = "2"
PATIENT_CONSUMER, HASTY_CONSUMER, QUITTING_CONSUMER = "200000000359", "200000000360", "200000000361"


@pytest.fixture(scope="module")
def session(store_copy, tmp_path_factory):
    """A consumer session with chaos: a 503 retried after Retry-After, one retried too soon, one given up on,
    a booking whose answer was dropped and then reconciled, and requests that break rules."""
    folder = tmp_path_factory.mktemp("consumer")
    journal = folder / "consumer.jsonl"
    server = SandboxServer(store_copy, folder / "serve.log", "--admin", "--journal", str(journal)).start()
    traces = {}
    try:
        with httpx.Client(timeout=30) as http:
            def call(interaction, path, consumer=PATIENT_CONSUMER, claims=None, **kwargs):
                trace = trace_id()
                claims = claims or default_claims(int(time.time()), BY_NAME[interaction].scope)
                headers = {**GpcClient(server.base(), http).headers(interaction, claims), "Ssp-TraceID": trace,
                           "Ssp-From": consumer}
                if "json" in kwargs:
                    headers["Content-Type"] = "application/fhir+json"
                response = http.request(BY_NAME[interaction].method, server.base() + path, headers=headers, **kwargs)
                return response, trace

            def chaos(*rules):
                body = yaml.safe_dump({"seed": 3, "rules": list(rules)})
                assert http.put(server.origin + "/_gpsynth/chaos", content=body).status_code == 200

            outage = {"interaction": "search_free_slots", "fault": "error", "status": 503, "retry_after": 1}
            query = {"status": "free", "start": f"ge{days_ahead(1)}", "end": f"le{days_ahead(3)}", "_include": "Slot:schedule"}
            chaos(outage)
            for consumer in (PATIENT_CONSUMER, HASTY_CONSUMER, QUITTING_CONSUMER):
                response, traces[consumer] = call("search_free_slots", "/Slot", consumer=consumer, params=query)
                assert response.status_code == 503
            hasty, _ = call("search_free_slots", "/Slot", consumer=HASTY_CONSUMER, params=query)    # at once
            assert hasty.status_code == 503
            http.delete(server.origin + "/_gpsynth/chaos")
            time.sleep(1.1)
            searched, _ = call("search_free_slots", "/Slot", params=query)
            assert searched.status_code == 200
            slot = entries(searched.json(), "Slot")[0]
            schedule = {s["id"]: s for s in entries(searched.json(), "Schedule")}[slot["schedule"]["reference"][9:]]
            chaos({"fault": "drop-after-commit"})
            try:
                call("book_appointment", "/Appointment", json=booking(slot, schedule, patient_id=PATIENT))
                raise AssertionError("the booking's answer was not dropped")
            except httpx.TransportError:
                pass
            http.delete(server.origin + "/_gpsynth/chaos")
            found, _ = call("retrieve_appointments", f"/Patient/{PATIENT}/Appointment",
                            params=[("start", f"ge{days_ahead(0)}"), ("start", f"le{days_ahead(7)}")])
            assert found.status_code == 200
            for _ in range(2):
                broke, _ = call("search_free_slots", "/Slot", params={**query, "status": "busy"})
                assert broke.status_code == 422
            late = default_claims(int(time.time()) - 400, "organization/*.read")
            expired, last = call("get_capability_statement", "/metadata", claims=late)
            assert expired.status_code == 400
            journal_line(journal, last)
    finally:
        server.stop()
    return journal, traces


@pytest.fixture(scope="module")
def page(session, tmp_path_factory):
    journal, _ = session
    out = tmp_path_factory.mktemp("page") / "consumer.html"
    result = CliRunner().invoke(main, ["report", "--journal", str(journal), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return lxml.html.fromstring(out.read_bytes())


def cell_texts(row) -> list[str]:
    return [td.text_content().strip() for td in row.xpath("td")]


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(1, -int(-share * len(ordered) // 1))
    return ordered[rank - 1]


def test_requests_per_interaction_and_latency_percentiles(session, page):
    lines = journal_lines(session[0])
    assert page.xpath('//dd[@data-figure="requests"]')[0].text == str(len(lines))
    by_interaction = Counter(line["interaction"] for line in lines)
    rows = {row.get("data-interaction"): cell_texts(row) for row in page.xpath('//section[@id="interactions"]//tr[@data-interaction]')}
    assert {name: int(cells[1]) for name, cells in rows.items()} == dict(by_interaction)
    searches = [line for line in lines if line["interaction"] == "search_free_slots"]
    answered = [line["latency_ms"] for line in searches if line["delivered"]]
    assert rows["search_free_slots"][2:6] == [
        str(sum(1 for s in searches if s["status"] < 400)), str(sum(1 for s in searches if 400 <= s["status"] < 500)),
        str(sum(1 for s in searches if s["status"] >= 500)), str(sum(1 for s in searches if s["violations"]))]
    assert rows["search_free_slots"][6:] == [f"{nearest_rank(answered, q):.1f}" for q in (0.5, 0.95, 0.99)]
    assert rows["book_appointment"][2:5] == ["0", "0", "1"]          # its answer never reached the consumer


def test_rules_broken_with_examples(session, page):
    lines = journal_lines(session[0])
    counted = Counter(v["rule"] for line in lines for v in line["violations"])
    rows = {row.get("data-rule"): row for row in page.xpath('//section[@id="rules"]//tr[@data-rule]')}
    assert {rule: int(cell_texts(row)[1]) for rule, row in rows.items()} == dict(counted) == {"slot-status": 2,
                                                                                            "jwt-expired": 1}
    examples = rows["slot-status"].xpath(".//li")
    assert len(examples) == 2 and "status=busy: only status=free can be searched" in examples[0].text_content()
    assert rows["jwt-expired"].xpath(".//a/@href") == [
        "https://developer.nhs.uk/apis/gpconnect-1-2-7/integration_cross_organisation_audit_and_provenance.html"]


def test_chaos_faults_beside_the_consumers_reactions(session, page):
    lines = journal_lines(session[0])
    rows = [cell_texts(row) for row in page.xpath('//section[@id="chaos"]//tr[@data-fault]')]
    assert len(rows) == sum(1 for line in lines if line.get("chaos")) == 5
    reactions = {(row[1], row[3]): row[4] for row in rows}
    assert reactions[(PATIENT_CONSUMER, "error 503")].startswith("retried after 1.")
    assert reactions[(PATIENT_CONSUMER, "error 503")].endswith("(Retry-After 1 s honoured)")
    assert next(r[4] for r in rows if r[1] == HASTY_CONSUMER).endswith("sooner than Retry-After 1 s")
    assert reactions[(QUITTING_CONSUMER, "error 503")] == "gave up: no retry within 120 s"
    assert reactions[(PATIENT_CONSUMER, "drop-after-commit")].startswith("reconciled: retrieve_appointments")
    assert page.xpath('//dd[@data-figure="faults"]')[0].text == "5"


def test_timeline_and_no_external_assets(session, page):
    lines = journal_lines(session[0])
    marks = page.xpath('//section[@id="timeline"]//*[local-name()="rect"]/*[local-name()="title"]/text()')
    kinds = Counter()
    for title in marks:
        if " s in: " in title:
            count, kind = title.rsplit(" ", 2)[1:]
            kinds[kind] += int(count)
    assert kinds == Counter("chaos" if line.get("chaos") else "broke" if line["violations"] else "clean" for line in lines)
    assert not page.xpath("//script | //link | //img | //iframe | //object")


@pytest.mark.parametrize("content,message", [
    (b'{"time": "2026-01-01T00:00:00Z"}\n', "line 1: no 'interaction'"),
    (b"\nnot json\n", "line 2: not JSON"),
])
def test_a_file_that_is_not_a_journal_is_exit_2(content, message, tmp_path):
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(content)
    out = tmp_path / "out.html"
    result = CliRunner().invoke(main, ["report", "--journal", str(journal), "--out", str(out)])
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1
    assert not out.exists()


def test_report_takes_a_store_or_a_journal(tmp_path):
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "give a STORE or --journal FILE" in result.output
