"""Mistakes a user can make with `gpsynth load`: one clear line and exit code 2, never a traceback."""

from __future__ import annotations


from click.testing import CliRunner
from sandbox_target import SandboxServer, empty_store

from ports import free_port

from gpsynth.cli import main


def run(*args: str):
    result = CliRunner().invoke(main, ["load", *map(str, args)])
    assert "Traceback" not in result.output
    return result


def test_unreachable_server(small, tmp_path):
    port = free_port()
    result = run(small, "--server", f"http://127.0.0.1:{port}/fhir", "--checkpoint", tmp_path / "cp.json")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: cannot reach the FHIR server at http://127.0.0.1:{port}/fhir: connection failed")
    assert "is --server right?" in result.output
    assert not (tmp_path / "cp.json").exists(), "nothing is checkpointed before the server answers"


def test_bad_header_syntax(small):
    result = run(small, "--server", "http://127.0.0.1:1", "--header", "Authorization Bearer abc")
    assert result.exit_code == 2
    assert result.output == ("error: --header 'Authorization Bearer abc': expected 'Name: value', "
                             "e.g. 'Authorization: Bearer TOKEN'\n")


def test_bad_server_url_and_types(small):
    result = run(small, "--server", "localhost:8080")
    assert result.exit_code == 2 and "expected an http(s) FHIR base URL" in result.output
    result = run(small, "--server", "http://127.0.0.1:1", "--only", "Slot,Bogus")
    assert result.exit_code == 2
    assert "allowed resource types are Organization, Location, Practitioner, Schedule, Slot, Patient, Appointment" in result.output


def test_a_sandbox_without_its_administration_surface_is_refused_before_sending(small, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    empty_store(store)
    with SandboxServer(store, admin=False) as sandbox:
        for base in (sandbox.base, sandbox.base.replace("/_gpsynth/fhir", "/GPS0001/STU3/1/gpconnect")):
            result = run(small, "--server", base, "--checkpoint", tmp_path / "cp.json")
            assert result.exit_code == 2, result.output
            assert "a gpsynth sandbox serving GP Connect only: restart it with `gpsynth serve STORE --admin`" in result.output
            assert "resources/s" not in result.output and not (tmp_path / "cp.json").exists()


def test_source_not_a_gpsynth_output(tmp_path):
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    result = run(tmp_path, "--server", "http://127.0.0.1:1")
    assert result.exit_code == 2
    assert result.output == (f"error: {tmp_path}: not a gpsynth output; expected a gpsynth store file or output folder "
                             "(ndjson/manifest.json, json/*.json Bundles or gpsynth.duckdb from `gpsynth generate --out FOLDER`)\n")
    result = run(tmp_path / "notes.json", "--server", "http://127.0.0.1:1")
    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path / 'notes.json'}: not a gpsynth store (not a DuckDB database file)\n"
    result = run(tmp_path / "missing", "--server", "http://127.0.0.1:1")
    assert result.exit_code == 2 and "no such file or folder" in result.output


def test_resume_checks_the_checkpoint_belongs_to_this_load(small, small_seed2, medplum, tmp_path):
    checkpoint = tmp_path / "cp.json"
    first = run(small, "--server", medplum.base, "--only", "Organization", "--checkpoint", checkpoint)
    assert first.exit_code == 0, first.output

    other_source = run(small_seed2, "--server", medplum.base, "--only", "Organization", "--checkpoint", checkpoint, "--resume")
    assert other_source.exit_code == 2
    assert f"error: --resume: {checkpoint} is for a different source: {small}/ndjson (NDJSON), not {small_seed2}/ndjson" \
        in other_source.output

    other_options = run(small, "--server", medplum.base, "--only", "Organization", "--fhir-version", "STU3",
                        "--checkpoint", checkpoint, "--resume")
    assert other_options.exit_code == 2
    assert "was written with --fhir-version R4 --only Organization, not --fhir-version STU3" in other_options.output

    other_server = run(small, "--server", medplum.base + "/fhir/R4", "--only", "Organization", "--checkpoint", checkpoint, "--resume")
    assert other_server.exit_code == 2 and f"is for server {medplum.base}, not {medplum.base}/fhir/R4" in other_server.output

    missing = run(small, "--server", medplum.base, "--checkpoint", tmp_path / "none.json", "--resume")
    assert missing.exit_code == 2 and f"--resume: no checkpoint at {tmp_path / 'none.json'}" in missing.output

    same = run(small, "--server", medplum.base, "--only", "Organization", "--bundle-size", "7", "--checkpoint", checkpoint,
               "--resume")
    assert same.exit_code == 0, same.output  # positions, not bundles, are checkpointed: another bundle size resumes
