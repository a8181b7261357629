"""Chaos rules: faults a consumer asks the sandbox to inject, per interaction and practice, deterministic from a seed.

A rules file (YAML; `gpsynth serve --chaos FILE`, or PUT at /_gpsynth/chaos with --admin):

    seed: 7
    rules:
      - name: slot search outage      # optional; named in the journal
        interaction: search_free_slots  # optional: names or Ssp-InteractionIDs, one or a list; default every one
        practice: A20047              # optional: ODS codes, one or a list; default every practice
        share: 0.25                   # optional: the share of matching requests it fires on; default 1
        fault: error                  # error | latency | hang | slot-taken | drop-after-commit
        status: 503                   # error: 500, 503 or 429
        retry_after: 5                # error 503/429: the Retry-After seconds; default 1

    latency: {distribution: fixed, ms: 800} | {distribution: uniform, min_ms: 100, max_ms: 900}
             | {distribution: exponential, mean_ms: 300}        (fault: latency, added before the answer)
    after_seconds: 30                 (fault: hang: nothing is answered, then the connection is closed)

`slot-taken` answers a booking 409 DUPLICATE_REJECTED, as if another consumer had just taken the slot (the
slot is left as it was). `drop-after-commit` lets a write (book, amend, cancel, register) happen, durably,
then closes the connection without the answer, so the consumer has to find out what became of it.

The first rule that matches a request and fires decides its fault. Whether the n-th request matching a rule
fires, and its latency, are drawn from (seed, rule, n) alone: the same requests meet the same faults.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path

import yaml

from ...errors import ScenarioError
from ..interactions import BY_ID, BY_NAME

FAULTS = ("error", "latency", "hang", "slot-taken", "drop-after-commit")
ERROR_STATUSES = (500, 503, 429)
DISTRIBUTIONS = {"fixed": ("ms",), "uniform": ("min_ms", "max_ms"), "exponential": ("mean_ms",)}
WRITES = ("book_appointment", "amend_appointment", "cancel_appointment", "register_patient")
ONLY = {"slot-taken": ("book_appointment",), "drop-after-commit": WRITES}
RULE_KEYS = ("name", "interaction", "practice", "share", "fault", "status", "retry_after", "latency", "after_seconds")


class ChaosError(ScenarioError):
    """A chaos rules file that cannot be used: which file, which key, what is wrong, what is allowed."""


@dataclass(frozen=True)
class Latency:
    distribution: str
    values: tuple[float, ...]        # milliseconds, in the order DISTRIBUTIONS names them

    def draw(self, rng: random.Random) -> float:
        """Seconds."""
        if self.distribution == "fixed":
            return self.values[0] / 1000
        if self.distribution == "uniform":
            return rng.uniform(*self.values) / 1000
        return rng.expovariate(1000 / self.values[0])


@dataclass(frozen=True)
class ChaosRule:
    name: str
    fault: str
    interactions: frozenset[str] = frozenset()     # interaction names; empty: every one
    practices: frozenset[str] = frozenset()        # ODS codes; empty: every one
    share: float = 1.0
    status: int | None = None
    retry_after: int | None = None
    latency: Latency | None = None
    after_seconds: float | None = None

    def matches(self, interaction: str | None, practice: str | None) -> bool:
        if self.fault in ONLY and interaction not in (self.interactions or ONLY[self.fault]):
            return False
        return ((not self.interactions or interaction in self.interactions)
                and (not self.practices or practice in self.practices))


@dataclass(frozen=True)
class Fault:
    """What the sandbox does to one request."""

    rule: str
    kind: str
    status: int | None = None
    retry_after: int | None = None
    seconds: float | None = None        # latency added, or how long a hang lasts

    @property
    def duration(self) -> float:
        """The seconds of a latency or hang fault (rules of both kinds must give them)."""
        if self.seconds is None:
            raise ValueError(f"the {self.kind} fault of chaos rule {self.rule!r} has no duration")
        return self.seconds

    @property
    def error_status(self) -> int:
        """The HTTP status of an error fault (error rules must give one)."""
        if self.status is None:
            raise ValueError(f"the {self.kind} fault of chaos rule {self.rule!r} has no status")
        return self.status

    def journal(self) -> dict:
        return {key: value for key, value in (("rule", self.rule), ("fault", self.kind), ("status", self.status),
                                              ("retry_after", self.retry_after), ("seconds", self.seconds))
                if value is not None}


@dataclass(frozen=True)
class ChaosRules:
    seed: int = 0
    rules: tuple[ChaosRule, ...] = ()


def draw(seed: int, rule: int, n: int) -> float:
    """A number in [0, 1) fixed by (seed, rule, n): whether the n-th request matching a rule meets its fault."""
    digest = blake2b(f"{seed}:{rule}:{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class Chaos:
    """The rules in force and how many requests each has matched; `decide` is the only place faults are drawn."""

    rules: ChaosRules = field(default_factory=ChaosRules)
    matched: list[int] = field(default_factory=list)

    def set(self, rules: ChaosRules) -> None:
        self.rules, self.matched = rules, [0] * len(rules.rules)

    def decide(self, interaction: str | None, practice: str | None) -> Fault | None:
        for i, rule in enumerate(self.rules.rules):
            if not rule.matches(interaction, practice):
                continue
            n = self.matched[i]
            self.matched[i] += 1
            if draw(self.rules.seed, i, n) >= rule.share:
                continue
            seconds = (rule.latency.draw(random.Random(f"{self.rules.seed}:{i}:{n}")) if rule.latency
                       else rule.after_seconds)
            return Fault(rule.name, rule.fault, rule.status, rule.retry_after,
                         None if seconds is None else round(seconds, 3))
        return None

    def describe(self) -> dict:
        return {"seed": self.rules.seed, "rules": [
            {"name": r.name, "fault": r.fault, "interaction": sorted(r.interactions), "practice": sorted(r.practices),
             "share": r.share, "matched": n} for r, n in zip(self.rules.rules, self.matched, strict=True)]}


def load_chaos(path: Path | str) -> ChaosRules:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChaosError(str(path), "", f"cannot read the chaos rules: {exc.strerror or exc}") from None
    return parse_chaos_text(text, str(path))


def parse_chaos_text(text: str, source: str) -> ChaosRules:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ChaosError(source, "", f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return parse_chaos(data, source)


def parse_chaos(data: object, source: str) -> ChaosRules:
    """Checked chaos rules; ChaosError naming the file, the key, what is wrong and what is allowed."""
    if not isinstance(data, Mapping):
        raise ChaosError(source, "", "expected a mapping with `seed` and `rules`")
    unknown = sorted(set(map(str, data)) - {"seed", "rules"})
    if unknown:
        raise ChaosError(source, unknown[0], "unknown key; allowed: seed, rules")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ChaosError(source, "seed", f"{seed!r} is not an integer")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise ChaosError(source, "rules", "expected a list of rules (each a mapping with at least `fault`)")
    return ChaosRules(seed, tuple(_rule(rule, f"rules[{i}]", source) for i, rule in enumerate(rules)))


def _names(value: object, key: str, source: str, known: Mapping[str, str] | None) -> frozenset[str]:
    values = value if isinstance(value, list) else [value]
    names = set()
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise ChaosError(source, key, f"{item!r} is not a name; give one or a list")
        if known is not None:
            if item not in known:
                raise ChaosError(source, key, f"{item!r} is not a GP Connect interaction; allowed: {', '.join(BY_NAME)} "
                                              "(or their Ssp-InteractionIDs)")
            item = known[item]
        names.add(item)
    return frozenset(names)


def _number(rule: Mapping, key: str, where: str, source: str, low: float, high: float | None = None) -> float:
    value = rule[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ChaosError(source, f"{where}.{key}", f"{value!r} is not allowed; a number {allowed}")
    return value


def _rule(rule: object, where: str, source: str) -> ChaosRule:
    if not isinstance(rule, Mapping):
        raise ChaosError(source, where, "expected a mapping with at least `fault`")
    unknown = sorted(set(map(str, rule)) - set(RULE_KEYS))
    if unknown:
        raise ChaosError(source, f"{where}.{unknown[0]}", f"unknown key; allowed: {', '.join(RULE_KEYS)}")
    fault = rule.get("fault")
    if fault not in FAULTS:
        raise ChaosError(source, f"{where}.fault", f"{fault!r} is not a fault; allowed: {', '.join(FAULTS)}")
    known = {**{name: name for name in BY_NAME}, **{i.interaction_id: i.name for i in BY_ID.values()}}
    interactions = _names(rule["interaction"], f"{where}.interaction", source, known) if "interaction" in rule else frozenset()
    if fault in ONLY and not interactions <= set(ONLY[fault]):
        raise ChaosError(source, f"{where}.interaction", f"the {fault} fault applies to {', '.join(ONLY[fault])} only, "
                                                          f"not {', '.join(sorted(interactions - set(ONLY[fault])))}")
    practices = _names(rule["practice"], f"{where}.practice", source, None) if "practice" in rule else frozenset()
    share = _number(rule, "share", where, source, 0, 1) if "share" in rule else 1.0
    needs = {"error": ("status",), "latency": ("latency",), "hang": ("after_seconds",)}.get(fault, ())
    allowed = {"error": ("status", "retry_after"), "latency": ("latency",), "hang": ("after_seconds",)}.get(fault, ())
    for key in needs:
        if key not in rule:
            raise ChaosError(source, f"{where}.{key}", f"required for the {fault} fault")
    for key in ("status", "retry_after", "latency", "after_seconds"):
        if key in rule and key not in allowed:
            raise ChaosError(source, f"{where}.{key}", f"does not apply to the {fault} fault")
    status = rule.get("status")
    if fault == "error" and status not in ERROR_STATUSES:
        raise ChaosError(source, f"{where}.status", f"{status!r} is not allowed; allowed: "
                                                     f"{', '.join(map(str, ERROR_STATUSES))}")
    retry_after = None
    if "retry_after" in rule:
        if status == 500:
            raise ChaosError(source, f"{where}.retry_after", "applies to status 503 and 429 only")
        retry_after = int(_number(rule, "retry_after", where, source, 0, 86_400))
    elif status in (503, 429):
        retry_after = 1
    latency = _latency(rule["latency"], f"{where}.latency", source) if "latency" in rule else None
    after = _number(rule, "after_seconds", where, source, 0.001, 3600) if "after_seconds" in rule else None
    name = rule.get("name", where)
    if not isinstance(name, str) or not name.strip():
        raise ChaosError(source, f"{where}.name", f"{name!r} is not a name")
    return ChaosRule(name, fault, interactions, practices, share, status, retry_after, latency, after)


def _latency(value: object, where: str, source: str) -> Latency:
    if not isinstance(value, Mapping) or value.get("distribution") not in DISTRIBUTIONS:
        raise ChaosError(source, f"{where}.distribution", f"expected one of {', '.join(DISTRIBUTIONS)}, e.g. "
                                                          "{distribution: uniform, min_ms: 100, max_ms: 900}")
    keys = DISTRIBUTIONS[value["distribution"]]
    unknown = sorted(set(map(str, value)) - {"distribution", *keys})
    if unknown:
        raise ChaosError(source, f"{where}.{unknown[0]}", f"unknown key for {value['distribution']}; allowed: "
                                                           f"{', '.join(keys)}")
    for key in keys:
        if key not in value:
            raise ChaosError(source, f"{where}.{key}", f"required for a {value['distribution']} latency")
    values = tuple(_number(value, key, where, source, 0, 600_000) for key in keys)
    if value["distribution"] == "uniform" and values[0] > values[1]:
        raise ChaosError(source, f"{where}.max_ms", f"{values[1]} is below min_ms {values[0]}")
    if value["distribution"] == "exponential" and values[0] == 0:
        raise ChaosError(source, f"{where}.mean_ms", "must be above 0")
    return Latency(value["distribution"], values)
