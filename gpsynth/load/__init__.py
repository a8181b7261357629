"""Load a gpsynth dataset into a FHIR server: `load()` sends it, `plan_load()` says what it would send.

    from gpsynth.load import LoadOptions, load
    report = load("out/", "http://localhost:8080/fhir", LoadOptions(fhir_version="R4", verify=True))
    print(report.sent, report.failed, report.resources_per_second)
"""

from .loader import load, plan_load
from .options import FHIR_VERSIONS, MODES, LoadOptions, RetryPolicy, parse_header, parse_only
from .report import Failure, LoadPlan, LoadReport, PlannedType, TypeTally, TypeVerification

__all__ = [
    "FHIR_VERSIONS", "MODES", "Failure", "LoadOptions", "LoadPlan", "LoadReport", "PlannedType", "RetryPolicy",
    "TypeTally", "TypeVerification", "load", "parse_header", "parse_only", "plan_load",
]
