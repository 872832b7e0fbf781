"""Eligibility rules, declared in a campaign as data and evaluated over a worker profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.domain.profiles import PROFILE_FIELDS, ProfileError, WorkerProfile, parse_value

# Operator -> the field types it applies to.
OPERATORS: dict[str, tuple[type, ...]] = {
    "eq": (str, bool, int, date),
    "ne": (str, bool, int, date),
    "in": (str,),
    "not_in": (str,),
    "gte": (int, date),
    "lte": (int, date),
}


@dataclass(frozen=True, slots=True)
class Rule:
    field: str
    op: str
    value: object

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        return {"field": self.field, "op": self.op, "value": value}


def make_rule(raw: dict[str, Any]) -> Rule:
    """Validate a rule from a campaign definition; ValueError says what is wrong."""
    if not isinstance(raw, dict) or set(raw) != {"field", "op", "value"}:
        raise ValueError("a rule has exactly the keys field, op and value")
    name, op, value = raw["field"], raw["op"], raw["value"]
    kind = PROFILE_FIELDS.get(name)
    if kind is None:
        raise ValueError(f"unknown profile field {name!r}; known: {', '.join(PROFILE_FIELDS)}")
    if op not in OPERATORS or kind not in OPERATORS[op]:
        raise ValueError(f"operator {op!r} does not apply to {name} ({kind.__name__})")
    try:
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > 200:
                raise ValueError(f"{op} takes a list of 1 to 200 values")
            parsed: object = tuple(sorted(str(parse_value(name, v)) for v in value))
        else:
            parsed = parse_value(name, value)
            if parsed is None:
                raise ValueError("a rule needs a value")
    except ProfileError as exc:
        raise ValueError(str(exc)) from None
    return Rule(name, op, parsed)


def failed_rule(rules: tuple[Rule, ...], profile: WorkerProfile) -> Rule | None:
    """The first rule the profile does not satisfy, or None when eligible."""
    for rule in rules:
        if not _holds(rule, profile.facts.get(rule.field)):
            return rule
    return None


def _holds(rule: Rule, fact: object) -> bool:
    if fact is None:
        return False
    match rule.op:
        case "eq":
            return fact == rule.value
        case "ne":
            return fact != rule.value
        case "in":
            return fact in rule.value  # type: ignore[operator]
        case "not_in":
            return fact not in rule.value  # type: ignore[operator]
        case "gte":
            return bool(fact >= rule.value)  # type: ignore[operator]
        case "lte":
            return bool(fact <= rule.value)  # type: ignore[operator]
    return False
