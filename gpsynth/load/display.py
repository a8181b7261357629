"""The load plan and report as rich renderables for the command line."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .report import LoadPlan, LoadReport


def plan_table(plan: LoadPlan) -> Table:
    table = Table(title=f"plan: {plan.source} → {plan.server}\nmode {plan.mode}, bundle size {plan.bundle_size}, "
                        f"{plan.concurrency} at a time, FHIR {plan.fhir_version}")
    for column in ("resource", "resources", "already loaded"):
        table.add_column(column, justify="left" if column == "resource" else "right")
    for t in plan.types:
        table.add_row(t.resource_type, f"{t.resources:,}", f"{t.done:,}" if t.done else "")
    table.add_row("total", f"{plan.resources:,}", "")
    return table


def report_renderables(report: LoadReport, show: int = 20) -> list:
    """The tallies per type, then R4 changes, retries, failures and verification when there are any."""
    table = Table(title=f"{report.source} → {report.server}  ({report.mode}, FHIR {report.fhir_version})")
    for column in ("resource", "in source", "skipped", "sent", "created", "updated", "unchanged", "failed"):
        table.add_column(column, justify="left" if column == "resource" else "right")
    for t in report.types:
        table.add_row(t.resource_type, f"{t.resources:,}", f"{t.skipped:,}", f"{t.sent:,}", f"{t.created:,}",
                      f"{t.updated:,}", f"{t.unchanged:,}", f"{t.failed:,}")
    table.add_row("total", f"{sum(t.resources for t in report.types):,}", f"{report.skipped:,}", f"{report.sent:,}",
                  f"{report.created:,}", f"{report.updated:,}", f"{report.unchanged:,}", f"{report.failed:,}")
    out: list = [table, Text(f"{report.sent:,} resources in {report.seconds:.1f} s: {report.resources_per_second:,.0f} resources/s; "
                             f"{report.retries:,} retries" + (f" ({_counts(report.retry_reasons)})" if report.retries else ""))]
    if report.r4_changes:
        changes = Table(title="changed for R4")
        changes.add_column("change")
        changes.add_column("resources", justify="right")
        for change, n in report.r4_changes.items():
            changes.add_row(change, f"{n:,}")
        out.append(changes)
    if report.failures:
        failures = Table(title=f"failed: {report.failed:,} (first {min(show, len(report.failures))} shown)")
        for column in ("resource", "status", "server said"):
            failures.add_column(column)
        for f in report.failures[:show]:
            failures.add_row(f"{f.resource_type}/{f.id}", str(f.status or "?"), f.message)
        out.append(failures)
    if report.updated and not report.unchanged and not report.created:
        out.append(Text("The server answered 200 for every resource: it says neither which were new nor which were "
                        "unchanged (identical resources may have had their versions bumped)."))
    if report.verification is not None:
        checked = Table(title="read back")
        for column in ("resource", "loaded", "server total", "checked by", "ids checked", "missing", ""):
            checked.add_column(column, justify="left" if column in ("resource", "checked by") else "right")
        for v in report.verification:
            found = "no total" if v.found is None else f"{v.found:,}"
            checked.add_row(v.resource_type, f"{v.expected:,}", found, v.method, f"{v.checked:,}", f"{len(v.missing):,}",
                            "ok" if v.ok else "MISSING")
        out.append(checked)
    if report.failed_file:
        out.append(Text(f"Every resource the server refused is in {report.failed_file}, with the server's answer."))
    if report.failed and report.checkpoint:
        out.append(Text(f"Resources that failed are not in {report.checkpoint}: fix the cause, then rerun with --resume."))
    return out


def _counts(reasons: dict[str, int]) -> str:
    return ", ".join(f"{reason} ×{n}" for reason, n in sorted(reasons.items()))
