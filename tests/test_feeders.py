"""gpsynth feeders: CSV rows that respect GP Connect's rules, and scripts that run (Locust, against `gpsynth serve`)
or have the right shape (k6, JMeter)."""

from __future__ import annotations

import csv
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from generated import generate
from lxml import etree

from ports import free_port

from gpsynth.calendar import LONDON
from gpsynth.cli import main
from gpsynth.feeders import FeederOptions, write_feeders
from gpsynth.output import MARKER
from gpsynth.sandbox.interactions import BY_NAME

STEPS = {"search free slots": "search_free_slots", "book appointment": "book_appointment",
         "read appointment": "read_appointment", "cancel appointment": "cancel_appointment"}
USERS = 4
SSP_HEADERS = ("Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Authorization", "Accept")


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    """The fixture preset as of today, as a store and as NDJSON."""
    return generate(tmp_path_factory.mktemp("feeders") / "out", "fixture", date.today().isoformat(), "--format", "ndjson,duckdb")


@pytest.fixture(scope="module")
def now():
    return datetime.now(UTC)


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def feeders(current, tmp_path, tool: str, now: datetime, **options) -> Path:
    out = tmp_path / tool
    write_feeders(current.folder / "gpsynth.duckdb", out, FeederOptions(tool, **options), now=now)
    return out


def test_slot_rows_are_bookable_once_each_within_the_rules(current, tmp_path, now):
    folder = feeders(current, tmp_path, "locust", now, search_days=7)
    slots = rows(folder / "slots.csv")
    assert slots and len({s["slot_id"] for s in slots}) == len(slots)
    by_id = current.by_id("Slot")
    schedules, patients = current.by_id("Schedule"), current.by_id("Patient")
    locations = current.by_id("Location")
    for row in slots:
        slot = by_id[row["slot_id"]]
        assert slot["status"] == "free"
        assert (row["start"], row["end"]) == (slot["start"], slot["end"])
        start = datetime.fromisoformat(row["start"])
        assert now + timedelta(hours=1) <= start <= now + timedelta(days=15)
        schedule = schedules[slot["schedule"]["reference"].removeprefix("Schedule/")]
        actors = {a["reference"] for a in schedule["actor"]}
        assert {f"Location/{row['location_id']}", f"Practitioner/{row['practitioner_id']}"} <= actors
        practice = locations[row["location_id"]]["managingOrganization"]["reference"].removeprefix("Organization/")
        assert row["service_root"] == f"/{row['ods_code']}/STU3/1/gpconnect" and practice == row["ods_code"]
        patient = patients[row["patient_id"]]
        assert patient["managingOrganization"]["reference"] == f"Organization/{practice}"
        assert patient["identifier"][0]["value"] == row["nhs_number"]
        search_from, search_to = date.fromisoformat(row["search_from"]), date.fromisoformat(row["search_to"])
        assert search_from == start.date() and (search_to - search_from).days == 6
    # bookable and unrestricted, read back from the store's typed columns
    con = duckdb.connect(str(current.folder / "gpsynth.duckdb"), read_only=True)
    flags = {i: (b, len(t) + len(o)) for i, b, t, o in con.sql(
        "SELECT id, bookable, restrict_org_types, restrict_ods_codes FROM slot").fetchall()}
    states = dict(con.sql("SELECT id, state FROM patient").fetchall())
    con.close()
    assert all(flags[s["slot_id"]] == (True, 0) for s in slots)
    assert {states[s["patient_id"]] for s in slots} == {"normal"}
    # patients take turns
    assert max(Counter(s["patient_id"] for s in slots).values()) <= len(slots) // len({s["patient_id"] for s in slots}) + 1


def test_patient_and_consumer_rows(current, tmp_path, now):
    folder = feeders(current, tmp_path, "k6", now)
    patients = rows(folder / "patients.csv")
    special = {p["identifier"][0]["value"] for p in current.resources["Patient"]
               if "deceasedDateTime" in p or p["meta"].get("security") or not p["active"]}
    assert special and not special & {p["nhs_number"] for p in patients}
    assert len(patients) == len(current.resources["Patient"]) - 4          # one of each special kind left out
    consumers = rows(folder / "consumers.csv")
    assert {(c["ods_code"], c["name"], c["org_type"]) for c in consumers} == {
        ("GPSU01", "Synthetic NHS 111 Service", "urgent-care"), ("GPSP01", "Synthetic Neighbouring Practice", "gp-practice")}
    assert all(c["phone"] for c in consumers)


def test_cli_writes_feeders_and_names_problems(current, tmp_path):
    runner = CliRunner()
    store = str(current.folder / "gpsynth.duckdb")
    done = runner.invoke(main, ["feeders", store, "--tool", "jmeter", "--max-slots", "5", "--out", str(tmp_path / "j")])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "j").iterdir()) == [MARKER, "consumers.csv", "gpconnect.jmx", "patients.csv", "slots.csv"]
    assert len(rows(tmp_path / "j" / "slots.csv")) == 5
    again = runner.invoke(main, ["feeders", store, "--tool", "k6", "--out", str(tmp_path / "j")])
    assert again.exit_code == 2 and "not empty" in again.output
    wide = runner.invoke(main, ["feeders", store, "--tool", "k6", "--search-days", "15", "--out", str(tmp_path / "w")])
    assert wide.exit_code == 2 and "15" in wide.output
    url = runner.invoke(main, ["feeders", store, "--tool", "k6", "--base-url", "localhost:8080", "--out", str(tmp_path / "u")])
    assert url.exit_code == 2 and "--base-url" in url.output and "http://127.0.0.1:8080" in url.output
    pack = Path(__file__).resolve().parent.parent / "datasets" / "fixtures" / "fixture" / "gpsynth.duckdb"
    stale = runner.invoke(main, ["feeders", str(pack), "--tool", "k6", "--out", str(tmp_path / "s")])
    assert stale.exit_code == 2 and "current --as-of" in stale.output
    assert not any((tmp_path / name).exists() for name in ("w", "u", "s"))


def test_k6_script_searches_books_reads_and_cancels(current, tmp_path, now):
    script = (feeders(current, tmp_path, "k6", now, base_url="http://127.0.0.1:9999") / "script.js").read_text()
    assert re.search(r'http\.get\(`\$\{root\}/Slot\?`', script)
    assert re.search(r'http\.post\(`\$\{root\}/Appointment`', script)
    assert re.search(r'http\.get\(url,', script) and re.search(r'http\.put\(url,', script)
    assert '"If-Match": read.headers.Etag' in script
    assert "http.expectedStatuses(201, 409)" in script
    for header in SSP_HEADERS:
        assert f'"{header}":' in script
    for label, name in STEPS.items():
        interaction = BY_NAME[name]
        assert re.search(rf'name: "{label}", interaction: "{re.escape(interaction.interaction_id)}", '
                         rf'scope: "{re.escape(interaction.scope)}"', script)
    assert 'b64url({ alg: "none", typ: "JWT" })' in script and "exp: now + 300" in script
    assert "SLOTS[exec.scenario.iterationInTest]" in script and 'executor: "shared-iterations"' in script
    assert '"http://127.0.0.1:9999"' in script and 'open("./slots.csv")' in script
    node = shutil.which("node")
    if node:                                   # a JavaScript syntax check, where Node.js is installed
        copy = tmp_path / "script.mjs"
        copy.write_text(script)
        checked = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr


def test_jmeter_plan_searches_books_reads_and_cancels(current, tmp_path, now):
    plan = etree.parse(str(feeders(current, tmp_path, "jmeter", now, base_url="https://sandbox.example.org:8443/gp") / "gpconnect.jmx"))
    assert plan.getroot().tag == "jmeterTestPlan"
    samplers = {s.get("testname"): s for s in plan.iter("HTTPSamplerProxy")}
    assert list(samplers) == list(STEPS)

    def prop(element, name):
        return element.find(f"*[@name='{name}']").text

    paths = {name: (prop(s, "HTTPSampler.method"), prop(s, "HTTPSampler.path")) for name, s in samplers.items()}
    assert paths == {
        "search free slots": ("GET", "${BASE_PATH}${service_root}/Slot"),
        "book appointment": ("POST", "${BASE_PATH}${service_root}/Appointment"),
        "read appointment": ("GET", "${BASE_PATH}${service_root}/Appointment/${gpc_appointment_id}"),
        "cancel appointment": ("PUT", "${BASE_PATH}${service_root}/Appointment/${gpc_appointment_id}"),
    }
    query = [(prop(a, "Argument.name"), prop(a, "Argument.value")) for a in samplers["search free slots"].iter("elementProp")
             if a.get("elementType") == "HTTPArgument"]
    assert ("status", "free") in query and ("start", "ge${search_from}") in query and ("end", "le${search_to}") in query
    assert ("_include", "Slot:schedule") in query
    headers = {prop(h, "Header.name"): prop(h, "Header.value") for h in plan.iter("elementProp") if h.get("elementType") == "Header"}
    assert set(SSP_HEADERS) | {"Content-Type", "If-Match"} <= set(headers)
    assert headers["Authorization"] == "${gpc_authorization}" and headers["If-Match"] == "${gpc_etag}"
    datasets = {prop(d, "filename"): d for d in plan.iter("CSVDataSet")}
    assert prop(datasets["slots.csv"], "recycle") == "false" and prop(datasets["slots.csv"], "stopThread") == "true"
    token = next(plan.iter("JSR223PreProcessor")).find("*[@name='script']").text
    for label, name in STEPS.items():
        interaction = BY_NAME[name]
        assert f'("{label}"): ["{interaction.interaction_id}", "{interaction.scope}"]' in token
    assert "[alg: 'none', typ: 'JWT']" in token and "exp: now + 300" in token
    assertions = [a.find("collectionProp/stringProp").text for a in plan.iter("ResponseAssertion")]
    assert assertions == ["200", "201|409", "200", "200"]
    variables = {prop(a, "Argument.name"): prop(a, "Argument.value") for a in plan.find(".//TestPlan").iter("elementProp")
                 if a.get("elementType") == "Argument"}
    assert variables["BASE_URL"] == "${__P(protocol,https)}://${__P(host,sandbox.example.org)}:${__P(port,8443)}${__P(base_path,/gp)}"


def test_locust_books_against_gpsynth_serve(current, tmp_path):
    store = tmp_path / "gpsynth.duckdb"
    shutil.copy(current.folder / "gpsynth.duckdb", store)
    port = free_port()
    folder = tmp_path / "load"
    write_feeders(store, folder, FeederOptions("locust", base_url=f"http://127.0.0.1:{port}", max_slots=24))
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        server = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(store), "--port", str(port), "--access-log"],
                                  stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(folder / "locustfile.py"), "--headless", "--users", str(USERS),
             "--spawn-rate", str(USERS), "--run-time", "4s", "--host", f"http://127.0.0.1:{port}", "--only-summary",
             "--csv", str(tmp_path / "stats")],
            capture_output=True, text=True, timeout=60, cwd=folder, check=False)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert locust.returncode == 0, locust.stdout + locust.stderr
    stats = {row["Name"]: row for row in rows(tmp_path / "stats_stats.csv")}
    assert int(stats["book appointment"]["Request Count"]) > 0
    assert sum(int(row["Failure Count"]) for row in stats.values()) == 0

    answered = Counter(re.findall(r'"(GET|POST|PUT) [^"]+" (\d{3})', log.read_text()))
    assert answered[("POST", "201")] > 0 and answered[("PUT", "200")] > 0
    unexpected = {key: n for key, n in answered.items() if key[1].startswith("4") and key != ("POST", "409")}
    assert not unexpected, log.read_text()[-3000:]

    con = duckdb.connect(str(store), read_only=True)
    booked = dict(con.sql("SELECT status, count(*) FROM appointment WHERE description = 'Load test booking' "
                          "GROUP BY status").fetchall())
    con.close()
    # a journey cut short when the run time ended may have been served without being logged
    assert 0 <= sum(booked.values()) - answered[("POST", "201")] <= USERS
    assert 0 <= booked.get("cancelled", 0) - answered[("PUT", "200")] <= USERS
    today = datetime.now(LONDON).date()
    assert all(date.fromisoformat(r["search_from"]) >= today for r in rows(folder / "slots.csv"))
