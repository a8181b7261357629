"""The scenario rule reference, rendered from the models: every key, its type, default and allowed values."""

from __future__ import annotations

import typing
from typing import Any

import yaml
from pydantic.fields import FieldInfo

from .scenario import DEFAULTS, OPEN_MAPS
from .scenario_models import Rule, Scenario
from .scenario_values import Inherited, Kind

LONGEST_DEFAULT = 60   # longer defaults are shown in full at the end
NO_DEFAULT = object()


def rules_markdown() -> str:
    """Markdown: a table per mapping of rules (the scenario's sections, then the items of its lists), then the defaults."""
    lines = ["# Scenario rules", "",
             "A scenario is a YAML mapping; every key is optional and falls back to the default shown. "
             "Mappings marked *open* take names you choose and replace the default mapping whole.", ""]
    tables: list[tuple[str, type[Rule], Any]] = [("", Scenario, DEFAULTS)]
    while tables:
        prefix, model, defaults = tables.pop(0)
        nested: list = []
        lines += _table(prefix, model, defaults, nested)
        tables[:0] = nested   # a mapping's inner tables follow it
    lines += ["## Defaults", "", "The rules a scenario starts from:", "", "```yaml",
              yaml.safe_dump(DEFAULTS, sort_keys=False, allow_unicode=True).rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def _table(prefix: str, model: type[Rule], defaults: Any, tables: list) -> list[str]:
    heading = "Top-level keys" if not prefix else f"`{prefix}`"
    lines = [f"## {heading}", "", "| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        if name in model.derived:
            continue
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        default = defaults.get(key, NO_DEFAULT) if isinstance(defaults, dict) else NO_DEFAULT
        if default is NO_DEFAULT and not field.is_required():
            default = next((m for m in field.metadata if isinstance(m, Inherited)), field.default)
        lines.append(f"| `{path}` | {_cell(_kind(field, path))} | {_cell(_default(default))} | {_cell(field.description or '')} |")
        inner, shape = _inner_rule(field.annotation)
        if inner is not None:
            tables.append((path + shape, inner, default if shape == "" else {}))
    return [*lines, ""]


def _inner_rule(annotation: Any) -> tuple[type[Rule] | None, str]:
    """The rule model a field holds, and how: itself (""), a list of them ("[]") or a mapping of names to them (".NAME")."""
    if isinstance(annotation, type) and issubclass(annotation, Rule):
        return annotation, ""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is tuple and args and isinstance(args[0], type) and issubclass(args[0], Rule):
        return args[0], "[]"
    if origin is dict and isinstance(args[1], type) and issubclass(args[1], Rule):
        return args[1], ".NAME"
    return None, ""


def _kind(field: FieldInfo, path: str) -> str:
    kind = next((m.text for m in field.metadata if isinstance(m, Kind)), None)
    if kind is None:
        inner, shape = _inner_rule(field.annotation)
        kind = {"": "mapping", "[]": "list of mappings", ".NAME": "mapping of names to mappings"}[shape] if inner else "text"
    return kind + (" (open)" if path in OPEN_MAPS else "")


def _default(value: Any) -> str:
    if value is NO_DEFAULT or value is Ellipsis:
        return "required"
    if value is None:
        return "—"
    if isinstance(value, Inherited):
        return value.text
    if isinstance(value, tuple):   # pairs were a mapping in the YAML
        value = dict(value) if value and all(isinstance(v, tuple) and len(v) == 2 for v in value) else list(value)
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip().removesuffix("...").strip()
    return f"`{text}`" if len(text) <= LONGEST_DEFAULT else "see Defaults"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
