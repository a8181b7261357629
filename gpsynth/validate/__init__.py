"""Check a generated dataset against the FHIR STU3 models and gpsynth's own invariants.

`validate_dataset` reads a dataset's renditions (``ndjson/`` with its manifest, ``json/`` collection or
transaction Bundles, or a store; see `gpsynth.renditions`) and checks each one as a dataset of its own, then
that the renditions hold the same resources; `check_resources` runs the same checks on any resources.
Problems are values; `report_renderables` turns a report into rich tables.

The models (fhir.resources 8.x) check structure and datatypes, not code bindings (`models`); the
invariants check what gpsynth promises on top (`invariants`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..renditions import Problem, find_renditions
from .invariants import DatasetChecks
from .models import ModelChecks
from .report import Report, report_renderables

__all__ = ["Problem", "Report", "check_resources", "report_renderables", "validate_dataset"]

PROGRESS_EVERY = 1000       # resources between progress reports


def check_resources(resources: Iterable[dict], sample: int | None = None) -> list[Problem]:
    """Problems of one dataset given as resources (models and invariants); empty when all is well."""
    invariants, models = DatasetChecks(), ModelChecks(sample)
    for n, resource in enumerate(resources):
        invariants.add(resource, f"resource {n}")
        models.offer(resource, f"resource {n}")
    return invariants.finish() + models.finish()


def validate_dataset(path: Path | str, *, sample: int | None = None,
                     on_progress: Callable[[int], None] | None = None) -> Report:
    """Check every rendition of a generated dataset (see `find_renditions`); raise GpsynthError if it is not one.

    `on_progress(resources)` hears how many resources were read so far, every thousand or so.

    >>> report = validate_dataset("out/", sample=1000)    # doctest: +SKIP
    >>> report.problems
    []
    """
    path = Path(path)
    present = find_renditions(path)
    report, models, checks, read = Report(path), ModelChecks(sample), {}, 0
    for name, rendition in present.items():
        checks[name] = DatasetChecks()
        for resource, label in rendition.read(report.problems):
            checks[name].add(resource, label)
            models.offer(resource, label)
            read += 1
            if on_progress and read % PROGRESS_EVERY == 0:
                on_progress(read)
        report.problems += checks[name].finish()
        report.counts[name] = checks[name].counts
    report.problems += models.finish() + _compare_renditions(checks)
    report.model_checked = models.checked
    return report


def _compare_renditions(checks: dict[str, DatasetChecks]) -> list[Problem]:
    """Every rendition of a folder must hold the same resources, byte for byte."""
    if len(checks) < 2:
        return []
    (first, a), (second, b) = list(checks.items())[:2]
    problems = []
    for key in sorted(a.digests.keys() | b.digests.keys()):
        if key not in b.digests or key not in a.digests:
            missing = second if key not in b.digests else first
            present = first if missing == second else second
            problems.append(Problem("renditions", f"{missing}/", *key, f"in {present}/ but not in {missing}/"))
        elif a.digests[key] != b.digests[key]:
            problems.append(Problem("renditions", f"{second}/", *key, f"differs between {first}/ and {second}/"))
    return problems
