"""gpsynth: linked, realistic, current GP Connect Appointment Management 1.2.7 (FHIR STU3) data.

Every command is a thin skin over a function importable from here:

    >>> from datetime import date
    >>> import gpsynth
    >>> summary = gpsynth.generate_dataset(gpsynth.load_scenario("demo"), 1, date(2026, 11, 25), "demo/",
    ...                                    options=gpsynth.OutputOptions(("ndjson", "duckdb")))    # doctest: +SKIP
    >>> gpsynth.validate_dataset("demo/").problems                                          # doctest: +SKIP
    []

The names are imported when first used, so `import gpsynth` stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → the module defining it
_EXPORTS = {
    "GpsynthError": "errors", "ScenarioError": "errors",
    "Scenario": "scenario", "load_scenario": "scenario", "parse_scenario": "scenario", "preset_names": "scenario",
    "OutputOptions": "dataset", "generate_dataset": "dataset",
    "open_store": "store", "store_info": "store", "run_query": "store",
    "export_store": "export",
    "validate_dataset": "validate",
    "LoadOptions": "load", "load_to_server": "load", "plan_load": "load",
    "Sandbox": "sandbox.app", "SandboxOptions": "sandbox.app",
    "write_report": "report",
    "FeederOptions": "feeders", "write_feeders": "feeders",
}
# `gpsynth.generate` and `gpsynth.load` are subpackages, so the functions of those names are exported as:
ALIASES = {"generate_dataset": "generate", "load_to_server": "load"}
__all__ = [
    "FeederOptions", "GpsynthError", "LoadOptions", "OutputOptions", "Sandbox", "SandboxOptions", "Scenario", "ScenarioError",
    "__version__", "export_store", "generate_dataset", "load_scenario", "load_to_server", "open_store", "parse_scenario", "plan_load",
    "preset_names", "run_query", "store_info", "validate_dataset", "write_feeders", "write_report",
]

if TYPE_CHECKING:
    from .dataset import OutputOptions
    from .dataset import generate as generate_dataset
    from .errors import GpsynthError, ScenarioError
    from .export import export_store
    from .feeders import FeederOptions, write_feeders
    from .load import LoadOptions, plan_load
    from .load import load as load_to_server
    from .report import write_report
    from .sandbox.app import Sandbox, SandboxOptions
    from .scenario import Scenario, load_scenario, parse_scenario, preset_names
    from .store import open_store, run_query, store_info
    from .validate import validate_dataset


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gpsynth' has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
