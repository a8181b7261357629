"""The consumer report: what a consumer did against the sandbox, from its conformance journal (`gpsynth serve --journal`).

Requests per interaction with latency percentiles, the rules broken and advisories with examples, a timeline,
and every chaos fault injected beside how the consumer reacted to it. One self-contained HTML page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from markupsafe import Markup

from .. import __version__
from ..errors import GpsynthError
from ..output import atomic_file
from ..templating import render
from . import charts

TEMPLATE = "consumer.html.j2"
EXAMPLES = 3
REACTION_SECONDS = 120        # a consumer's next request this soon after a fault counts as its reaction
RECONCILING = ("retrieve_appointments", "read_appointment")
REQUIRED = ("time", "interaction", "status", "latency_ms", "violations", "advisories")
TIMELINE_BUCKETS = 60


@dataclass(frozen=True)
class ConsumerReport:
    path: Path
    requests: int
    violations: int


@dataclass(frozen=True)
class InteractionRow:
    interaction: str
    requests: int
    ok: int
    refused: int
    failed: int
    broke: int
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class RuleRow:
    rule: str
    explanation: str
    section: str
    count: int
    examples: list[dict]


@dataclass(frozen=True)
class FaultRow:
    time: str
    consumer: str
    interaction: str
    fault: str
    reaction: str


def read_journal(path: Path) -> list[dict]:
    """The journal's entries; GpsynthError naming the line that is not one."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise GpsynthError(f"--journal {path}: cannot read it: {exc.strerror or exc}") from None
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            found = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise GpsynthError(f"{path}: line {number}: not JSON; a journal has one JSON object per line "
                               "(from gpsynth serve --journal)") from None
        missing = [key for key in REQUIRED if not isinstance(found, dict) or key not in found]
        if missing:
            raise GpsynthError(f"{path}: line {number}: no {missing[0]!r}; not a gpsynth serve --journal line")
        found["_at"] = datetime.fromisoformat(found["time"]).timestamp()
        entries.append(found)
    return sorted(entries, key=lambda entry: entry["_at"])


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-share * len(ordered) // 1)) - 1))]


def interaction_rows(entries: list[dict]) -> list[InteractionRow]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        grouped[entry["interaction"] or entry.get("interaction_id") or "(none named)"].append(entry)
    rows = []
    for name, group in sorted(grouped.items()):
        # What the consumer received: a status, or nothing (a hang, a dropped connection).
        statuses = [e["status"] if e.get("delivered", True) else None for e in group]
        latencies = [e["latency_ms"] for e, s in zip(group, statuses, strict=True) if s is not None]
        rows.append(InteractionRow(
            name, len(group), sum(1 for s in statuses if s is not None and s < 400),
            sum(1 for s in statuses if s is not None and 400 <= s < 500),
            sum(1 for s in statuses if s is None or s >= 500), sum(1 for e in group if e["violations"]),
            percentile(latencies, 0.5), percentile(latencies, 0.95), percentile(latencies, 0.99)))
    return rows


def rule_rows(entries: list[dict], key: str) -> list[RuleRow]:
    found: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for entry in entries:
        for rule in entry[key]:
            found[rule["rule"]].append((rule, entry))
    rows = []
    for rule_id, hits in sorted(found.items(), key=lambda item: (-len(item[1]), item[0])):
        rule = hits[0][0]
        examples = [{"time": e["time"], "interaction": e["interaction"] or e.get("interaction_id") or "",
                     "status": e["status"], "detail": r.get("detail", "")} for r, e in hits[:EXAMPLES]]
        rows.append(RuleRow(rule_id, rule["explanation"], rule["section"], len(hits), examples))
    return rows


def reaction(fault: dict, entry: dict, later: list[dict]) -> str:
    """What the consumer did next after a fault: retried (and whether it honoured Retry-After), reconciled, gave up."""
    after = [e for e in later if e.get("consumer") == entry.get("consumer")
             and e["_at"] - entry["_at"] <= REACTION_SECONDS]
    same = next((e for e in after if e["interaction"] == entry["interaction"]), None)
    if fault["fault"] == "drop-after-commit":
        check = next((e for e in after if e["interaction"] in RECONCILING), None)
        if check is not None and (same is None or check["_at"] <= same["_at"]):
            return f"reconciled: {check['interaction']} {check['_at'] - entry['_at']:.1f} s later"
        if same is not None:
            return f"sent the write again {same['_at'] - entry['_at']:.1f} s later without checking (risk of a duplicate)"
        return f"no further request within {REACTION_SECONDS} s"
    if same is None:
        return f"gave up: no retry within {REACTION_SECONDS} s"
    waited = same["_at"] - entry["_at"]
    wanted = fault.get("retry_after")
    if wanted is not None and waited < wanted:
        return f"retried after {waited:.1f} s, sooner than Retry-After {wanted} s"
    return f"retried after {waited:.1f} s" + (f" (Retry-After {wanted} s honoured)" if wanted is not None else "")


def fault_rows(entries: list[dict]) -> list[FaultRow]:
    rows = []
    for i, entry in enumerate(entries):
        fault = entry.get("chaos")
        if fault:
            shown = fault["fault"] + (f" {fault['status']}" if fault.get("status") else "") + \
                (f" {fault['seconds']} s" if fault.get("seconds") is not None else "")
            rows.append(FaultRow(entry["time"], entry.get("consumer") or "", entry["interaction"] or "", shown,
                                 reaction(fault, entry, entries[i + 1:])))
    return rows


def timeline(entries: list[dict]) -> str:
    """Requests over time, in equal buckets: clean, breaking a rule, and met with a chaos fault."""
    if not entries:
        return charts.svg(600, 40, "No requests", [charts.text(10, 24, "No requests in the journal")])
    first, last = entries[0]["_at"], entries[-1]["_at"]
    width = max(last - first, 1e-3) / TIMELINE_BUCKETS
    buckets: list[Counter[str]] = [Counter() for _ in range(TIMELINE_BUCKETS)]
    for entry in entries:
        kind = "chaos" if entry.get("chaos") else "broke" if entry["violations"] else "clean"
        buckets[min(int((entry["_at"] - first) / width), TIMELINE_BUCKETS - 1)][kind] += 1
    most = max(sum(b.values()) for b in buckets) or 1
    left, top, height, bar = 40, 10, 160, 12
    colours = {"clean": "#38a169", "broke": "#c53030", "chaos": "#6b46c1"}
    body = [charts.text(left - 4, top + 8, str(most), "end"), charts.text(left - 4, top + height, "0", "end")]
    for i, bucket in enumerate(buckets):
        y: float = top + height
        for kind in ("clean", "broke", "chaos"):
            h = height * bucket[kind] / most
            y -= h
            if bucket[kind]:
                body.append(charts.rect(left + i * bar, y, bar - 1, h, colours[kind],
                                        f"{i * width:.0f} s in: {bucket[kind]} {kind}"))
    span = last - first
    body.append(charts.text(left, top + height + 16, "0 s"))
    body.append(charts.text(left + TIMELINE_BUCKETS * bar, top + height + 16, f"{span:.0f} s", "end"))
    for n, kind in enumerate(colours):
        body.append(charts.rect(left + 120 + n * 110, top + height + 24, 10, 10, colours[kind], kind))
        body.append(charts.text(left + 134 + n * 110, top + height + 33, kind))
    return charts.svg(left + TIMELINE_BUCKETS * bar + 20, top + height + 42, "Requests over time", body)


def consumer_report_html(journal: Path) -> tuple[str, int, int]:
    entries = read_journal(journal)
    interactions = interaction_rows(entries)
    violations, advisories = rule_rows(entries, "violations"), rule_rows(entries, "advisories")
    broke = sum(1 for e in entries if e["violations"])
    html = render(
        TEMPLATE, journal_name=journal.name, entries=len(entries), broke=broke,
        consumers=sorted({e["consumer"] for e in entries if e.get("consumer")}),
        practices=sorted({e["practice"] for e in entries if e.get("practice")}),
        first=entries[0]["time"] if entries else None, last=entries[-1]["time"] if entries else None,
        interactions=interactions, violations=violations, advisories=advisories, faults=fault_rows(entries),
        timeline=Markup(timeline(entries)),
        requests_chart=Markup(charts.grouped_bars([(r.interaction, r.requests, r.broke) for r in interactions],
                                                  ("requests", "breaking a rule"))),
        version=__version__)
    return html, len(entries), broke


def write_consumer_report(journal: Path | str, out: Path | str) -> ConsumerReport:
    """Write the consumer report of `journal` to the file `out`, whole or not at all."""
    journal, out = Path(journal), Path(out)
    html, requests, broke = consumer_report_html(journal)
    with atomic_file(out) as work:
        work.write_text(html, encoding="utf-8")
    return ConsumerReport(out, requests, broke)
