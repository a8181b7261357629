"""The FHIR client examples the docs show (fhirpy, fhirclient 3.x), each run as written against a real `gpsynth serve`:
they search, book, read back and meet a refusal, and the sandbox's journal shows no broken rule."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sandbox_process import GpcClient, SandboxServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NHS_NUMBER = "9658218865"      # Patient/1 of the gpc-provider-testing preset


@pytest.mark.parametrize("example", ["fhirpy_consumer.py", "fhirclient_consumer.py"])
def test_the_example_searches_books_and_reads_back_with_no_broken_rule(example, store_copy, tmp_path):
    journal = tmp_path / "consumer.jsonl"
    server = SandboxServer(store_copy, tmp_path / "serve.log", "--journal", str(journal)).start()
    try:
        done = subprocess.run([sys.executable, str(EXAMPLES / example), server.base(), NHS_NUMBER], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        booked = re.search(r"^booked Appointment/(\S+) for Patient/1 at (\S+)$", done.stdout, re.M)
        assert booked, done.stdout
        with httpx.Client(timeout=30) as http:
            stored = GpcClient(server.base(), http).call("read_appointment", f"/Appointment/{booked[1]}")
        assert stored.status_code == 200
        assert stored.json()["status"] == "booked" and stored.json()["start"] == booked[2]
        slot = stored.json()["slot"][0]["reference"]
        assert f"read back: booked, version 1, slot {slot}\n" in done.stdout
        assert done.stdout.endswith("the same slot again: DUPLICATE_REJECTED\n")
    finally:
        server.stop()

    requests = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(r["interaction"], r["status"]) for r in requests] == [
        ("search_free_slots", 200), ("find_patient", 200), ("book_appointment", 201), ("read_appointment", 200),
        ("book_appointment", 409), ("read_appointment", 200)]      # the last, this test's own check
    assert [(r["interaction"], r["violations"], r["advisories"]) for r in requests if r["violations"] or r["advisories"]] == []
    assert len({r["trace_id"] for r in requests}) == len(requests)
