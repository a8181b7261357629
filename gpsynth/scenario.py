"""Scenario rules: YAML merged over the defaults, validated once into frozen models (`scenario_models`).

Every rule has a default, so an empty scenario is a small realistic dataset. Unknown keys and bad
values raise ScenarioError naming the file with the line and column, the key path, what is wrong
and what is allowed.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ScenarioError
from .scenario_models import (
    PATIENT_STATES, ROLE_ALIASES, Consumer, FixedPatient, FixedPractice, FixedPractitioner, FixedSite, Restriction, Scenario,
    Session, StaffGroup,
)
from .scenario_values import ENGLAND, shown
from .yaml_marks import Path as MarkPath
from .yaml_marks import load_with_marks, located

__all__ = [
    "DEFAULTS", "PATIENT_STATES", "ROLE_ALIASES", "Consumer", "FixedPatient", "FixedPractice", "FixedPractitioner", "FixedSite",
    "Restriction", "Scenario", "Session", "StaffGroup", "load_scenario", "parse_scenario", "preset_names", "preset_text",
    "scenario_from_text",
]

DEFAULTS: dict = {
    "name": "default",
    "description": "One practice with a main surgery and a branch surgery.",
    "practices": {
        "count": 1,
        "list_size": {"mean": 3000, "sd": 0},
        "branch_sites": 1,
        "area": "england",
        "ods_prefix": "GPS",
        "fixed": [],
    },
    "consumers": [
        {"ods": "GPSU01", "name": "Synthetic NHS 111 Service", "type": "urgent-care"},
    ],
    "sessions": {
        "morning": {"start": "08:30", "end": "12:00", "breaks": [{"start": "10:30", "end": "11:00"}]},
        "afternoon": {"start": "14:00", "end": "18:00", "breaks": []},
    },
    "staff": [
        {"role": "gp", "per_10000": 5.5, "sessions": ["morning", "afternoon"], "slot_minutes": 10,
         "schedule_type": "General practice", "slot_type": "GP appointment",
         "channels": {"In-person": 0.7, "Telephone": 0.28, "Video": 0.02}},
        {"role": "practice-nurse", "per_10000": 4, "sessions": ["morning", "afternoon"], "slot_minutes": 15,
         "schedule_type": "Nurse clinic", "slot_type": "Nurse appointment",
         "channels": {"In-person": 0.9, "Telephone": 0.1}},
        {"role": "healthcare-assistant", "per_10000": 2.5, "sessions": ["morning"], "slot_minutes": 10,
         "schedule_type": "Phlebotomy clinic", "slot_type": "Blood test",
         "channels": {"In-person": 1.0}},
    ],
    "calendar": {
        "horizon_days": 28,
        "history_days": 14,
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "closed_on_bank_holidays": True,
    },
    "availability": {
        "bookable_share": 0.5,
        "restrictions": [
            {"org_types": ["urgent-care"], "ods_codes": [], "share": 0.1},
        ],
        "booking_window": {"min_hours_ahead": 0, "max_days_ahead": 28},
    },
    "demand": {
        # Appointments per patient-year by age band and sex (all staff, all channels); see README "Demand".
        "rates_per_year": {
            "0-4": {"female": 5.2, "male": 5.6}, "5-14": {"female": 2.4, "male": 2.3},
            "15-24": {"female": 4.4, "male": 2.9}, "25-44": {"female": 5.0, "male": 3.6},
            "45-64": {"female": 6.0, "male": 5.0}, "65-74": {"female": 8.4, "male": 8.0},
            "75-84": {"female": 11.0, "male": 10.6}, "85-110": {"female": 13.2, "male": 12.8},
        },
        "scale": 1.0,
        "max_fill": 0.95,
        "weekday_weights": {"mon": 1.1, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 1.0, "sat": 0.8, "sun": 0.8},
        "morning_weight": 1.15,
        "same_day_share": 0.45,
        "routine_median_days": 7,
        "multi_slot_share": 0.05,
        "max_slots_per_appointment": 3,
        "cancellation_share": 0.05,
        "cancellation_reasons": [
            "Patient no longer needs the appointment",
            "Clinician unavailable",
            "Patient booked in error",
            "Rebooked at a more convenient time",
        ],
        "no_show_share": 0.045,
        "consumer_share": 0.2,
    },
    "workforce": {
        "annual_leave_weeks": 6,
        "training_days": 5,
    },
    "patients": {
        "nhs_number_range": "999",
        # People: "england" takes the ONS mid-year estimates by single year of age and sex.
        "female_share": ENGLAND,
        "age_bands": ENGLAND,
        "verification": {"01": 0.97, "02": 0.02, "03": 0.01},
        "special": {"deceased": 1, "sensitive": 1, "inactive": 1, "no-appointments": 1},
        "fixed": [],
    },
}

# Mappings whose keys the user chooses: a scenario's mapping replaces the default one whole.
OPEN_MAPS = {"sessions", "demand.rates_per_year", "demand.weekday_weights", "patients.age_bands", "patients.verification"}


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("gpsynth.presets").iterdir() if p.name.endswith(".yaml"))


def preset_text(name: str) -> str:
    return resources.files("gpsynth.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_scenario(name_or_path: str | None) -> Scenario:
    """A preset name, a YAML file path, or None for the defaults."""
    if name_or_path is None:
        return parse_scenario({}, "<defaults>")
    path = Path(name_or_path)
    if name_or_path in preset_names() and not path.is_file():
        source, text = f"preset {name_or_path}", preset_text(name_or_path)
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(source, "", f"no such file, and not a preset name (presets: {', '.join(preset_names())})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(source, "", f"cannot read the file: {exc}") from None
    return scenario_from_text(text, source)


def scenario_from_text(text: str, source: str) -> Scenario:
    """Rules from YAML text; an error points at the line and column of the value at fault."""
    data, marks = load_with_marks(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(source, "", "the scenario must be a YAML mapping of rules")
    return parse_scenario(data, source, marks)


def parse_scenario(data: dict, source: str, marks: dict[MarkPath, yaml.Mark] | None = None) -> Scenario:
    """Rules from a mapping (as YAML reads it), merged over the defaults."""
    merged = _merge(copy.deepcopy(DEFAULTS), data, "")
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        raise _first_problem(exc, source, merged, marks or {}) from None
    return scenario.model_copy(update={"source": source, "rules_yaml": yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)})


def _merge(base: Any, override: Any, path: str) -> Any:
    """Deep-merge override onto base; keys the defaults do not know are left for the models to reject."""
    if not isinstance(override, dict) or not isinstance(base, dict) or path in OPEN_MAPS:
        return override
    for key, value in override.items():
        base[key] = _merge(base[key], value, f"{path}.{key}" if path else str(key)) if key in base else value
    return base


PLAIN_MESSAGES = {
    "missing": "is required",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "string_type": "must be text",
}


def _first_problem(exc: ValidationError, source: str, rules: dict, marks: dict[MarkPath, yaml.Mark]) -> ScenarioError:
    """The first failed rule as a ScenarioError: where in the file, the key path, what is wrong and what is allowed."""
    problem = exc.errors()[0]
    context = problem.get("ctx") or {}
    path = (*(part for part in problem["loc"] if part != "[key]"), *context.get("path", ()))
    if problem["type"] == "scenario":
        message = context["message"]
    elif problem["type"] == "missing":
        message = PLAIN_MESSAGES["missing"]
    else:
        message = f"{PLAIN_MESSAGES.get(problem['type'], problem['msg'])}, got {shown(problem['input'])}"
    return located(source, key_path(path, rules), message, marks, path)


def key_path(path: MarkPath, rules: Any) -> str:
    """("staff", 0, "slot_minutes") -> "staff[0].slot_minutes", following the rules to tell list items from keys;
    a key that would not read plainly is quoted in brackets."""
    text = ""
    for part in path:
        if isinstance(rules, list):
            text += f"[{part}]"
        elif (isinstance(part, str) and part and part.isprintable() and part.strip() == part) or type(part) is int:
            text += f".{part}" if text else str(part)
        else:
            text += f"[{shown(part)}]"
        try:
            rules = rules[part]
        except (KeyError, IndexError, TypeError):
            rules = None
    return text
