"""A validation report as rich tables: resources checked by type, then the problems."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..fhir import constants as c
from ..renditions import Problem


@dataclass
class Report:
    folder: Path
    counts: dict[str, Counter] = field(default_factory=dict)   # rendition -> resource type -> resources
    model_checked: Counter = field(default_factory=Counter)    # distinct resources validated by the models
    problems: list[Problem] = field(default_factory=list)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def report_renderables(report: Report, limit: int = 50) -> list:
    """Rich tables for a report: resources checked by type, then the first `limit` problems and a count."""
    counts = Table(title=Text(f"gpsynth validate {report.folder}"))
    counts.add_column("resource")
    for name in report.counts:
        counts.add_column(name if name == "store" else f"{name}/", justify="right")
    counts.add_column("model-checked", justify="right")
    for resource_type in c.RESOURCE_TYPES:
        row = [report.counts[name].get(resource_type, 0) for name in report.counts]
        if any(row):
            counts.add_row(resource_type, *(f"{n:,}" for n in row), f"{report.model_checked.get(resource_type, 0):,}")
    if not report.problems:
        return [counts, Text("No problems found.", style="bold green")]
    by_check = Counter(p.check for p in report.problems)
    listing = Table(title=f"{_count(len(report.problems), 'problem')} ({', '.join(f'{k} {n:,}' for k, n in by_check.most_common())})",
                    show_lines=True)
    listing.add_column("check")
    listing.add_column("resource, where", overflow="fold", ratio=2)
    listing.add_column("problem", overflow="fold", ratio=3)
    for p in report.problems[:limit]:
        listing.add_row(p.check, Text.assemble(f"{p.resource_type}/{p.resource_id}\n", (p.where, "dim")), Text(p.message))
    renderables: list[Table | Text] = [counts, listing]
    if len(report.problems) > limit:
        renderables.append(Text(f"… and {_count(len(report.problems) - limit, 'more problem')} (raise --limit to list them)",
                                style="bold"))
    return renderables
