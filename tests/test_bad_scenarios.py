"""Bad scenarios and bad options fail early through the CLI: exit code 2, one clear line, no output left behind."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gpsynth.cli import main
from gpsynth.dataset import FORMATS
from gpsynth.fhir.constants import DELIVERY_CHANNELS, PRACTITIONER_ROLES
from gpsynth.scenario import DEFAULTS, ROLE_ALIASES, preset_names

# name, scenario YAML, key path in the message, where it is written (line:column), what the message says is wrong and allowed
CASES = [
    ("unknown key", "calendar:\n  horizon_dayz: 14\n", "calendar.horizon_dayz", "2:3",
     ["unknown key", ", ".join(DEFAULTS["calendar"])]),
    ("unknown top-level key", "practises: {count: 2}\n", "practises", "1:1", ["unknown key", ", ".join(DEFAULTS)]),
    ("zero slot length", "staff:\n  - {role: gp, slot_minutes: 0}\n", "staff[0].slot_minutes", "2:16",
     ["must be at least 1", "got 0"]),
    ("negative horizon", "calendar: {horizon_days: -1}\n", "calendar.horizon_days", "1:12", ["must be at least 1", "got -1"]),
    ("zero practices", "practices: {count: 0}\n", "practices.count", "1:13", ["must be at least 1", "got 0"]),
    ("session ends before it starts", "sessions:\n  morning: {start: '09:00', end: '08:00'}\n", "sessions.morning.end", "2:29",
     ["ends (08:00) before it starts (09:00)"]),
    ("slot length does not divide the session", "staff:\n  - {role: gp, sessions: [morning], slot_minutes: 25}\n",
     "staff[0].slot_minutes", "2:37", ["25-minute slots do not divide session 'morning'", "08:30-10:30 is 120 minutes"]),
    ("share above 1", "availability: {bookable_share: 1.5}\n", "availability.bookable_share", "1:16",
     ["must be a share between 0 and 1", "got 1.5"]),
    ("share below 0", "demand: {cancellation_share: -0.1}\n", "demand.cancellation_share", "1:10",
     ["must be a share between 0 and 1", "got -0.1"]),
    ("unknown role", "staff:\n  - {role: surgeon}\n", "staff[0].role", "2:6",
     ["unknown role 'surgeon'", "allowed: " + ", ".join([*ROLE_ALIASES, *PRACTITIONER_ROLES])]),
    ("age bands neither england nor a mapping", "patients: {age_bands: wales}\n", "patients.age_bands", "1:12",
     ["must be 'england' or a mapping of age bands to weights", "got 'wales'"]),
    ("age band past the oldest age", "patients: {age_bands: {'90-120': 1}}\n", "patients.age_bands.90-120", "1:24",
     ["0 <= low <= high <= 105"]),
    ("female share neither england nor a share", "patients: {female_share: most}\n", "patients.female_share", "1:12",
     ["must be a share between 0 and 1", "got 'most'"]),
    ("unknown delivery channel", "staff:\n  - {role: gp, channels: {Carrier-pigeon: 1}}\n", "staff[0].channels.Carrier-pigeon", "2:27",
     ["unknown value 'Carrier-pigeon'", "allowed: " + ", ".join(DELIVERY_CHANNELS)]),
]


def run_generate(tmp_path, scenario: str, *options: str):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", "--scenario", scenario, "--as-of", "2026-03-20", "--out", str(out), *options])
    return result, out


def assert_failed_cleanly(result, out, tmp_path, inputs: set[str]):
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == inputs   # no .partial folder beside --out


@pytest.mark.parametrize("name, text, key, where, says", CASES, ids=[c[0] for c in CASES])
def test_a_bad_rule_names_file_key_problem_and_what_is_allowed(tmp_path, name, text, key, where, says):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    result, out = run_generate(tmp_path, str(path))
    assert_failed_cleanly(result, out, tmp_path, {"rules.yaml"})
    assert result.stdout == ""
    message = result.stderr.rstrip("\n")
    assert "\n" not in message
    assert message.startswith(f"error: {path}:{where}: {key}: "), message
    for fragment in says:
        assert fragment in message


def unreadable(tmp_path, case: str):
    """A scenario path that cannot be read as rules, and the input files it leaves in tmp_path."""
    if case == "missing file":
        return tmp_path / "missing.yaml", set()
    if case == "a directory":
        (tmp_path / "rules").mkdir()
        return tmp_path / "rules", {"rules"}
    path = tmp_path / "rules.yaml"
    path.write_text({"invalid YAML": "practices: [1\n", "not a mapping": "- practices\n"}[case], encoding="utf-8")
    return path, {"rules.yaml"}


@pytest.mark.parametrize("case, says", [
    ("missing file", ["no such file, and not a preset name", "presets: " + ", ".join(preset_names())]),
    ("a directory", ["cannot read the file", "Is a directory"]),
    ("invalid YAML", [":2:1: not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)"]),
    ("not a mapping", ["the scenario must be a YAML mapping of rules"]),
])
def test_an_unreadable_scenario_fails_with_one_line(tmp_path, case, says):
    path, inputs = unreadable(tmp_path, case)
    result, out = run_generate(tmp_path, str(path))
    assert_failed_cleanly(result, out, tmp_path, inputs)
    message = result.stderr.rstrip("\n")
    assert "\n" not in message
    assert message.startswith(f"error: {path}:"), message
    for fragment in says:
        assert fragment in message


@pytest.mark.parametrize("option, value, says", [
    ("--as-of", "2026-02-30", ["Invalid value for --as-of", "'2026-02-30' is not a date; use YYYY-MM-DD"]),
    ("--as-of", "next tuesday", ["Invalid value for --as-of", "use YYYY-MM-DD"]),
    ("--format", "json,xml", ["Invalid value for --format", "allowed formats are " + ", ".join(FORMATS)]),
    ("--format", ",", ["Invalid value for --format", "allowed formats are " + ", ".join(FORMATS)]),
])
def test_a_bad_option_fails_with_a_clear_message(tmp_path, option, value, says):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", option, value, "--out", str(out)])
    assert_failed_cleanly(result, out, tmp_path, set())
    for fragment in says:
        assert fragment in result.stderr
