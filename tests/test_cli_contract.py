"""The contract every command keeps: a STORE is a file or its folder, --out is made or refused in one line,
--overwrite replaces only gpsynth's own folders, workers die with their parent, long commands show progress
on a terminal only, and every failure is one `error: …` line with exit code 2."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ports import free_port

from gpsynth.cli import main
from gpsynth.errors import GpsynthError, ScenarioError
from gpsynth.output import MARKER, atomic_folder
from gpsynth.scenario import load_scenario
from gpsynth.store import DEFAULT_STORE_NAME

SMALL_RULES = {"practices": {"list_size": 200}, "calendar": {"horizon_days": 3, "history_days": 1}}
GPSYNTH = [sys.executable, "-m", "gpsynth"]


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Usage:" not in result.output
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1, message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL_RULES), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory) -> Path:
    """A small store and its NDJSON, current as of today (feeders look for slots from an hour from now on).

    Its horizon is a week: three days starting on a Friday evening, or over Christmas, hold no clinic."""
    rules = tmp_path_factory.mktemp("rules") / "current.yaml"
    rules.write_text(yaml.safe_dump({**SMALL_RULES, "calendar": {"horizon_days": 7, "history_days": 1}}), encoding="utf-8")
    folder = tmp_path_factory.mktemp("store") / "out"
    result = run_cli("generate", "--scenario", rules, "--as-of", date.today().isoformat(), "--format", "duckdb,ndjson",
                     "--out", folder)
    assert result.exit_code == 0, result.output
    return folder


def store_copy(store_folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(store_folder, copy)
    return copy


# Each command that reads a store, with the arguments that make it do its work into tmp_path.
STORE_COMMANDS = {
    "sql": lambda tmp: ["select 1"],
    "report": lambda tmp: ["--out", tmp / "report.html"],
    "export": lambda tmp: ["--out", tmp / "exported"],
    "feeders": lambda tmp: ["--tool", "k6", "--out", tmp / "feeders"],
    "validate": lambda tmp: [],
    "refresh": lambda tmp: [],
}


@pytest.mark.parametrize("command", STORE_COMMANDS)
@pytest.mark.parametrize("given_as", ["file", "folder"])
def test_every_store_command_takes_the_store_file_or_its_folder(store_folder, tmp_path, command, given_as):
    copy = store_copy(store_folder, tmp_path)
    (copy / "ndjson").rename(tmp_path / "ndjson")       # a folder holding only a store
    store = copy / DEFAULT_STORE_NAME if given_as == "file" else copy
    result = run_cli(command, store, *STORE_COMMANDS[command](tmp_path))
    assert result.exit_code == 0, result.output


# validate and load read generated folders too, so to them an empty folder is not a gpsynth output (see
# test_validate and tests/load/test_load_errors).
@pytest.mark.parametrize("command, missing", [(command, missing) for command in [*STORE_COMMANDS, "serve", "load"]
                                              for missing in ("nowhere.duckdb", "empty-folder")
                                              if missing == "nowhere.duckdb" or command not in ("validate", "load")])
def test_a_missing_store_is_named_the_same_way_by_every_command(tmp_path, command, missing):
    path = tmp_path / missing
    if missing == "empty-folder":
        path.mkdir()
    extra = {"serve": ["--port", free_port()], "load": ["--server", "http://127.0.0.1:9/fhir"]}.get(command)
    if extra is None:
        extra = STORE_COMMANDS[command](tmp_path)
    result = run_cli(command, path, *extra)
    assert_one_error_line(result, f"error: {path}: no such store; write one with `gpsynth generate --format duckdb`")
    assert sorted(p.name for p in tmp_path.iterdir()) == ([missing] if missing == "empty-folder" else [])


def test_validate_takes_one_rendition_or_a_store(store_folder):
    counts = {}
    for path in (store_folder, store_folder / "ndjson", store_folder / DEFAULT_STORE_NAME):
        result = run_cli("validate", path)
        assert result.exit_code == 0, result.output
        assert "No problems found." in result.stdout
        counts[path.name] = [[cell.strip() for cell in line.split("│")[1:3]] for line in result.stdout.splitlines() if line.count("│") == 4]
    assert counts["out"] == counts["ndjson"] == counts[DEFAULT_STORE_NAME]
    assert len(counts["out"]) >= 5


# --- output folders -------------------------------------------------------------------------------------------------

def output_command(command: str, store_folder: Path, rules: Path, out: Path) -> list:
    return {
        "generate": ["generate", "--scenario", rules, "--as-of", "2026-03-20", "--out", out],
        "export": ["export", store_folder, "--out", out],
        "feeders": ["feeders", store_folder, "--tool", "locust", "--out", out],
        "report": ["report", store_folder, "--out", out / "report.html"],
    }[command]


def blocked_by_a_file(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "afile").write_text("not a folder\n")
    return tmp_path / "afile" / "sub", f"{tmp_path / 'afile'} is a file, not a folder"


def under_a_read_only_folder(tmp_path: Path) -> tuple[Path, str]:
    if os.geteuid() == 0:       # root writes anywhere on a disk; /proc takes no new folders from anyone
        return Path("/proc/gpsynth-out/sub"), "No such file or directory"
    (tmp_path / "locked").mkdir(mode=0o555)
    return tmp_path / "locked" / "out", "Permission denied"


@pytest.mark.parametrize("command", ["generate", "export", "feeders", "report"])
@pytest.mark.parametrize("case", [blocked_by_a_file, under_a_read_only_folder])
def test_an_output_that_cannot_be_made_fails_in_one_line(store_folder, rules, tmp_path, command, case):
    out, why = case(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli(*output_command(command, store_folder, rules, out))
    assert_one_error_line(result, why, "choose another --out")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("case", [blocked_by_a_file, under_a_read_only_folder])
def test_a_load_checkpoint_that_cannot_be_written_fails_before_loading(store_folder, tmp_path, case):
    out, why = case(tmp_path)
    result = run_cli("load", store_folder, "--server", "http://127.0.0.1:9/fhir", "--checkpoint", out / "load.json")
    assert_one_error_line(result, f"{out / 'load.json'}: cannot create its folder", why)
    assert "FHIR server" not in result.stderr          # said before anything was sent


@pytest.mark.parametrize("command", ["generate", "export", "feeders"])
def test_overwrite_replaces_only_a_folder_gpsynth_wrote(store_folder, rules, tmp_path, command):
    out = tmp_path / "out"
    first = run_cli(*output_command(command, store_folder, rules, out))
    assert first.exit_code == 0, first.output
    assert (out / MARKER).is_file()
    (out / "stale.txt").write_text("from before\n")
    again = run_cli(*output_command(command, store_folder, rules, out), "--overwrite")
    assert again.exit_code == 0, again.output
    assert not (out / "stale.txt").exists() and (out / MARKER).is_file()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work\n")
    refused = run_cli(*output_command(command, store_folder, rules, foreign), "--overwrite")
    assert_one_error_line(refused, f"{foreign}: --overwrite replaces only a folder gpsynth wrote", MARKER)
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]

    without = run_cli(*output_command(command, store_folder, rules, out))
    assert_one_error_line(without, f"{out}: the output folder exists and is not empty", "--overwrite")


@pytest.mark.parametrize("target", [".", ".."])
def test_overwrite_refuses_the_current_folder_and_its_parent(rules, tmp_path, monkeypatch, target):
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    (here / MARKER).write_text("even with a marker\n")
    (here / "notes.txt").write_text("keep\n")
    monkeypatch.chdir(here)
    result = run_cli("generate", "--scenario", rules, "--as-of", "2026-03-20", "--out", target, "--overwrite")
    assert_one_error_line(result, f"{target}: is the current folder or holds it")
    assert sorted(p.name for p in here.iterdir()) == sorted([MARKER, "notes.txt"])
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["here"]     # no hidden .partial or .old beside it


def reaped_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_leftovers_of_killed_runs_are_removed_and_a_running_ones_kept(rules, tmp_path):
    dead = reaped_pid()
    stale = [tmp_path / f".out.{dead}.a1b2c3d4.partial", tmp_path / f".out.{dead}.e5f6g7h8.old"]
    running = tmp_path / f".out.{os.getpid()}.zzzzzzzz.partial"
    other = tmp_path / f".output.{dead}.a1b2c3d4.partial"           # another target's
    for folder in [*stale, running, other]:
        folder.mkdir()
        (folder / "Slot.ndjson").write_text("{}\n")
    result = run_cli("generate", "--scenario", rules, "--as-of", "2026-03-20", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", running.name, other.name])


# --- processes ------------------------------------------------------------------------------------------------------

def children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(n) for n in text.split()}


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads process trees from Linux /proc")
def test_kill_9_of_generate_takes_its_workers_with_it_and_the_next_run_cleans_up(tmp_path):
    rules = tmp_path / "many.yaml"
    rules.write_text(yaml.safe_dump({"practices": {"count": 40, "list_size": 3000}}), encoding="utf-8")
    out = tmp_path / "out"
    generate = subprocess.Popen([*GPSYNTH, "generate", "--scenario", str(rules), "--as-of", "2026-03-20", "--workers", "2",
                                 "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(workers := children(generate.pid)) < 2 or not list(tmp_path.glob(".out.*.partial")):
            assert generate.poll() is None and time.monotonic() < deadline, "generate ended before its workers started"
            time.sleep(0.1)
    finally:
        generate.send_signal(signal.SIGKILL)
        generate.wait()
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in workers), "workers outlived their parent"
    assert list(tmp_path.glob(".out.*.partial")) and not out.exists()

    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump(SMALL_RULES), encoding="utf-8")
    again = subprocess.run([*GPSYNTH, "generate", "--scenario", str(small), "--as-of", "2026-03-20", "--out", str(out)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.yaml", "out", "small.yaml"]


def stderr_on(argv: list[str], terminal: bool, cwd: Path) -> str:
    """What a command writes to stderr when stderr is a terminal (a pty) or a pipe."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    if not terminal:
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=True).stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:             # the follower side closed: the command has ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait() == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


LONG_COMMANDS = {
    "validate": (["validate", "{store}"], "validating"),
    "export": (["export", "{store}", "--out", "{tmp}/exported"], "exporting"),
    "report": (["report", "{store}", "--out", "{tmp}/report.html"], "writing the report"),
    "feeders": (["feeders", "{store}", "--tool", "k6", "--out", "{tmp}/feeders"], "writing feeders"),
    "refresh": (["refresh", "{store}"], "rolling the horizon forward"),
}


@pytest.mark.parametrize("command", LONG_COMMANDS)
def test_long_commands_show_progress_on_a_terminal_and_nothing_in_a_pipe(store_folder, tmp_path, command):
    template, description = LONG_COMMANDS[command]
    for terminal in (True, False):
        work = tmp_path / ("tty" if terminal else "pipe")
        work.mkdir()
        store = store_copy(store_folder, work)
        argv = [*GPSYNTH, *(part.format(store=store, tmp=work) for part in template)]
        said = stderr_on(argv, terminal, work)
        if terminal:
            assert description in said and "0:00:0" in said, said
        else:
            assert description not in said and "\x1b[" not in said, said


# --- one style of error ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["generate", "--seed", "seven", "--out", "x"], "Invalid value for '--seed': 'seven' is not a valid integer"),
    (["generate", "--bundle", "pile", "--out", "x"], "Invalid value for '--bundle': 'pile' is not one of"),
    (["generate", "--scenario", "demo"], "Missing option '--out'"),
    (["generate", "--colour", "--out", "x"], "No such option '--colour'"),
    (["sql", "x.duckdb", "select 1", "--limit", "-1"], "Invalid value for '--limit': -1 is not in the range x>=0"),
    (["validate", "x", "--show", "3"], "No such option '--show'"),
    (["serve", "x.duckdb", "--port", "0"], "Invalid value for '--port': 0 is not in the range 1<=x<=65535"),
    (["export"], "Missing argument 'STORE'"),
    (["refresh", "x.duckdb", "--as-of", "tomorrow"], "Invalid value for --as-of: 'tomorrow' is not a date"),
    (["frobnicate"], "No such command 'frobnicate'"),
])
def test_a_bad_option_or_argument_is_one_error_line_without_a_usage_block(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    assert_one_error_line(run_cli(*args), says)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=20).filter(lambda text: not is_a_date(text)))
def test_any_bad_as_of_is_one_error_line(tmp_path, value):
    result = run_cli("generate", "--as-of", value, "--out", tmp_path / "never")
    assert_one_error_line(result, "Invalid value for --as-of", "use YYYY-MM-DD")
    assert not (tmp_path / "never").exists()


def is_a_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


YAML_BITS = st.sampled_from(["practices:", " count: 2", "\n", "  ", "- ", "[", "]", "{", "}", ": ", "'", '"', "&a", "*a",
                             "!!python/object", "\t", "calendar", ",", "#", "|", ">", "%YAML 1.1", "---", "..."])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(YAML_BITS, max_size=12).map("".join))
def test_invalid_yaml_is_pointed_at_by_file_line_and_column(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        with pytest.raises(ScenarioError) as raised:
            load_scenario(str(path))
        message = str(raised.value)
        assert "\n" not in message
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line, column = message.removeprefix(f"{path}:").split(":")[:2]
            assert (int(line), int(column)) == (mark.line + 1, mark.column + 1)
            assert 1 <= int(line) <= text.count("\n") + 1
        assert ": not valid YAML: " in message


FOLDER_NAMES = st.one_of(st.sampled_from([".", "..", "...", ".partial", "a.1.b.partial", "[x]", "*", "?", "-", " "]),
                         st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                                 min_size=1, max_size=30))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=FOLDER_NAMES, overwrite=st.booleans())
def test_any_output_folder_name_is_written_whole_or_refused_in_one_line(tmp_path, name, overwrite):
    parent = tmp_path / "parent"
    shutil.rmtree(parent, ignore_errors=True)
    parent.mkdir()
    (parent / "keep.txt").write_text("someone else's\n")
    target = parent / name
    before = sorted(p.name for p in tmp_path.rglob("*"))
    try:
        with atomic_folder(target, overwrite) as work:
            (work / "Slot.ndjson").write_text("{}\n")
    except GpsynthError as exc:
        assert "\n" not in str(exc)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before
        return
    assert (target / "Slot.ndjson").read_text() == "{}\n" and (target / MARKER).is_file()
    assert (parent / "keep.txt").exists() or target.resolve() == parent.resolve()
    assert not [p for p in target.resolve().parent.iterdir() if p.name.endswith((".partial", ".old")) and p.name != name]
