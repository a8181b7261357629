"""`gpsynth serve` at start: what cannot be had fails in one line with exit 2 before any banner, and the banner
stays short however many practices the store holds."""

import socket
import subprocess
import sys
import time

import duckdb
import httpx
import pytest
import yaml
from click.testing import CliRunner
from sandbox_process import free_port

from gpsynth.cli import main

FIVE_PRACTICES = {"name": "five", "practices": {"count": 5, "list_size": 30, "branch_sites": 0},
                  "calendar": {"horizon_days": 2, "history_days": 0}}


@pytest.fixture(scope="module")
def five_practices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("five")
    (folder / "rules.yaml").write_text(yaml.safe_dump(FIVE_PRACTICES), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "--scenario", str(folder / "rules.yaml"), "--format", "duckdb",
                                       "--workers", "1", "--out", str(folder / "store")])
    assert result.exit_code == 0, result.output
    return folder / "store"


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gpsynth", "serve", *args], capture_output=True, text=True, timeout=60)


def test_a_port_in_use_is_one_line_and_exit_2_before_the_banner(five_practices):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(str(five_practices), "--port", str(port))
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip().splitlines()
    assert output == [f"error: cannot listen on 127.0.0.1:{port}: it is in use by another program; "
                      "pick another with --port (or --host)"]


@pytest.mark.parametrize("args, message", [
    (["--public-url", "ftp://x"], "--public-url 'ftp://x': expected an http(s) origin"),
    (["--public-url", "https://sandbox.example.org/base"], "expected an http(s) origin"),
])
def test_a_bad_public_url_is_one_line(five_practices, args, message):
    result = serve(str(five_practices), "--port", str(free_port()), *args)
    assert result.returncode == 2 and message in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_the_banner_names_a_few_practices_and_the_count_and_the_urls_use_the_public_url(five_practices, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(five_practices), "--port", str(port),
                                    "--public-url", "https://sandbox.example.org"], stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        banner = log.read_text().splitlines()
    finally:
        process.terminate()
        process.wait(20)
    assert banner[0].endswith(": 5 practices")
    assert [line.strip().startswith("https://sandbox.example.org/") for line in banner[1:4]] == [True] * 3
    assert banner[4].strip() == "… and 2 more (--list names them all)"


def test_the_server_says_when_it_holds_its_rows_and_how_many(five_practices, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(five_practices), "--port", str(port)],
                                   stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "held in memory" not in log.read_text():
            time.sleep(0.1)
        held = next(line for line in log.read_text().splitlines() if line.startswith("held in memory"))
    finally:
        process.terminate()
        process.wait(20)
    with duckdb.connect(str(five_practices / "gpsynth.duckdb"), read_only=True) as con:
        patients = con.execute("SELECT count(*) FROM patient").fetchall()[0][0]
    assert f": {patients:,} patients, " in held and "upcoming appointments" in held and "busy slots" in held


def test_admin_token_is_required_and_a_non_loopback_admin_warns(five_practices, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(five_practices), "--port", str(port),
                                    "--host", "0.0.0.0", "--admin", "--admin-token", "s3cret"],
                                   stdout=handle, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/_gpsynth/fhir"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                anonymous = httpx.get(f"{base}/Slot", params={"_summary": "count"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert anonymous.status_code == 401 and anonymous.json()["resourceType"] == "OperationOutcome"
        wrong = httpx.get(f"{base}/Slot", params={"_summary": "count"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        allowed = httpx.get(f"{base}/Slot", params={"_summary": "count"}, headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200 and allowed.json()["total"] > 0
    finally:
        process.terminate()
        process.wait(20)
    assert "WARNING: --admin on 0.0.0.0, not a loopback address: only requests with the token can write" in log.read_text()
