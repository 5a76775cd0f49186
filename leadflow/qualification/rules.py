"""The rule language admins write qualification rules in: which lead fields a rule can test, the operators,
how a rule's value is read, and how a compiled rule judges one lead. No database access here.

An unknown value (empty, missing custom field) never satisfies a rule, except "is not set": a rule that cannot be
established does not count in the lead's favour.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import regex
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

from leadflow.core.normalize import is_free_mail_domain
from leadflow.leads.models import Lead
from leadflow.qualification.criteria import CriterionResult

CUSTOM_FIELD_PREFIX = "custom_fields."
MAX_PATTERN_LENGTH = 200
# Regular expressions see at most this much of a value, and give up after this long on one value.
MAX_MATCHED_LENGTH = 1000
MATCH_TIMEOUT_SECONDS = 0.02
MAX_LIST_ITEMS = 100
SHOWN_VALUE_LENGTH = 60
NO_VALID_EMAIL = "no valid email address"


class Operator(models.TextChoices):
    EQUALS = "equals", "equals"
    NOT_EQUALS = "not_equals", "does not equal"
    IN = "in", "is one of"
    NOT_IN = "not_in", "is not one of"
    CONTAINS = "contains", "contains"
    GREATER_THAN = "gt", "is greater than"
    GREATER_OR_EQUAL = "gte", "is at least"
    LESS_THAN = "lt", "is less than"
    LESS_OR_EQUAL = "lte", "is at most"
    IS_SET = "is_set", "is set"
    IS_NOT_SET = "is_not_set", "is not set"
    MATCHES = "matches", "matches the pattern"


class Kind(models.TextChoices):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ANY = "any", "any (custom field)"


ORDERING_OPERATORS = {
    Operator.GREATER_THAN: Decimal.__gt__,
    Operator.GREATER_OR_EQUAL: Decimal.__ge__,
    Operator.LESS_THAN: Decimal.__lt__,
    Operator.LESS_OR_EQUAL: Decimal.__le__,
}
LIST_OPERATORS = (Operator.IN, Operator.NOT_IN)
PRESENCE_OPERATORS = (Operator.IS_SET, Operator.IS_NOT_SET)
OPERATORS_BY_KIND = {
    Kind.TEXT: set(Operator) - set(ORDERING_OPERATORS),
    Kind.NUMBER: set(Operator) - {Operator.CONTAINS, Operator.MATCHES},
    Kind.BOOLEAN: {Operator.EQUALS, Operator.NOT_EQUALS, *PRESENCE_OPERATORS},
    Kind.ANY: set(Operator),
}
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}


@dataclass(frozen=True)
class RuleField:
    name: str
    label: str
    kind: str
    read: Callable[[Lead], Any]
    unknown: str = ""  # what a rep reads when the lead has no value for it

    @property
    def unknown_text(self) -> str:
        return self.unknown or f"{self.label.lower()} is not known"


_PLAUSIBLE_EMAIL = regex.compile(r"[^@\s]+@([^@\s]+\.[^@\s]+)")


def _email_domain(lead: Lead) -> str:
    """The domain of a plausible address; none for a broken one (joost@@vandijk), so it earns no points."""
    match = _PLAUSIBLE_EMAIL.fullmatch(lead.email.strip())
    return match.group(1).casefold() if match else ""


def _email_is_free_mail(lead: Lead) -> bool | None:
    domain = _email_domain(lead)
    return is_free_mail_domain(domain) if domain else None


def _lead_attribute(name: str) -> Callable[[Lead], Any]:
    return lambda lead: getattr(lead, name)


# Lead fields rules may test: what people and intake fill in, plus where the lead came from.
_LEAD_FIELDS = (
    *Lead.EDITABLE_FIELDS,
    "source_kind",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "consent_given",
)
_KIND_OF_MODEL_FIELD = {"PositiveIntegerField": Kind.NUMBER, "BooleanField": Kind.BOOLEAN}


def _lead_field(name: str) -> RuleField:
    model_field = Lead._meta.get_field(name)
    kind = _KIND_OF_MODEL_FIELD.get(model_field.get_internal_type(), Kind.TEXT)
    return RuleField(name, capfirst(str(model_field.verbose_name)), kind, _lead_attribute(name))


FIELDS: dict[str, RuleField] = {
    **{name: _lead_field(name) for name in _LEAD_FIELDS},
    "email_domain": RuleField("email_domain", "Email domain", Kind.TEXT, _email_domain, NO_VALID_EMAIL),
    "email_is_free_mail": RuleField(
        "email_is_free_mail",
        "Email is free-mail (gmail.com, ziggo.nl, …)",
        Kind.BOOLEAN,
        _email_is_free_mail,
        NO_VALID_EMAIL,
    ),
}
FIELD_CHOICES = [(f.name, f.label) for f in FIELDS.values()]
_CUSTOM_KEY = regex.compile(r"[A-Za-z0-9_\-]{1,64}")


def rule_field(name: str) -> RuleField:
    """The field a rule tests: a known lead field or `custom_fields.<key>`."""
    name = name.strip()
    if name in FIELDS:
        return FIELDS[name]
    key = name.removeprefix(CUSTOM_FIELD_PREFIX)
    if name.startswith(CUSTOM_FIELD_PREFIX) and _CUSTOM_KEY.fullmatch(key):
        return RuleField(name, f"Custom field “{key}”", Kind.ANY, lambda lead: (lead.custom_fields or {}).get(key))
    raise ValidationError(
        {
            "field": f"Unknown field “{name[:80]}”. Use one of {', '.join(FIELDS)}, "
            f"or {CUSTOM_FIELD_PREFIX}<key> (letters, digits, - and _)."
        }
    )


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError({"value": f"“{text[:40]}” is not a number."}) from None
    if not number.is_finite():
        raise ValidationError({"value": "Give a finite number."})
    return number


def _boolean(text: str) -> bool:
    word = text.strip().casefold()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValidationError({"value": "Give yes or no."})


def compile_pattern(pattern: str) -> regex.Pattern:
    """A regular expression safe to run on every lead: short, valid, and quick on inputs built to be slow."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError({"value": f"The pattern is longer than {MAX_PATTERN_LENGTH} characters."})
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise ValidationError({"value": f"The pattern is not a valid regular expression: {exc}."}) from None
    for probe in _slow_probes(pattern):
        try:
            compiled.search(probe, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            raise ValidationError(
                {
                    "value": "The pattern can take too long on some values (nested repetition such as (a+)+); "
                    "simplify it."
                }
            ) from None
    return compiled


def _slow_probes(pattern: str) -> list[str]:
    """Inputs that make backtracking patterns blow up: long runs of the characters the pattern mentions."""
    characters = {c for c in pattern if c.isalnum()} | {"a", "0", " ", ".", "@", "-"}
    probes = []
    for c in sorted(characters):
        probes.append(c * MAX_MATCHED_LENGTH + "!")
        probes.append((c + " ") * (MAX_MATCHED_LENGTH // 2) + "!")
    return probes


def parse_value(field: RuleField, operator: str, value: str) -> Any:
    """Check that `operator` suits the field and read `value` into what the rule compares with."""
    if operator not in OPERATORS_BY_KIND[field.kind]:
        raise ValidationError({"operator": f"{field.label} cannot be tested with “{Operator(operator).label}”."})
    value = value.strip()
    if operator in PRESENCE_OPERATORS:
        if value:
            raise ValidationError({"value": "Leave the value empty for “is set” and “is not set”."})
        return None
    if not value:
        raise ValidationError({"value": "This operator needs a value."})
    if operator == Operator.MATCHES:
        return compile_pattern(value)
    if operator in ORDERING_OPERATORS:
        return _number(value)
    if operator in LIST_OPERATORS:
        items = [item.strip() for item in value.split(",") if item.strip()]
        if len(items) > MAX_LIST_ITEMS:
            raise ValidationError({"value": f"List at most {MAX_LIST_ITEMS} values."})
        return tuple(_scalar(field, item) for item in items)
    return _scalar(field, value)


def _scalar(field: RuleField, text: str) -> Any:
    if field.kind == Kind.NUMBER:
        return _number(text)
    if field.kind == Kind.BOOLEAN:
        return _boolean(text)
    return text


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to judge leads; `name` identifies it in assessments (`rule:<id>`)."""

    name: str
    description: str
    field: RuleField
    operator: str
    expected: Any
    hard: bool
    weight: int

    def evaluate(self, lead: Lead) -> CriterionResult:
        actual = self.field.read(lead)
        passed, detail = self._judge(actual)
        reason = self.description if passed else f"{self.description}: not met"
        # A yes/no value only repeats what the rule says; other values show what the lead holds.
        if self.field.kind != Kind.BOOLEAN or _is_missing(actual):
            reason += f" ({detail})"
        reason += "."
        return CriterionResult(
            name=self.name, passed=passed, reason=reason, hard=self.hard, weight=0 if self.hard else self.weight
        )

    def _judge(self, actual: Any) -> tuple[bool, str]:
        if _is_missing(actual):
            return self.operator == Operator.IS_NOT_SET, self.field.unknown_text
        shown = _shown(actual)
        if self.operator in PRESENCE_OPERATORS:
            return self.operator == Operator.IS_SET, shown
        if isinstance(actual, list | dict):
            if self.operator == Operator.CONTAINS and isinstance(actual, list):
                return any(_same(item, self.expected) for item in actual), shown
            return False, f"{shown} is not a single value"
        if self.operator in ORDERING_OPERATORS:
            number = _as_number(actual)
            if number is None:
                return False, f"{shown} is not a number"
            return ORDERING_OPERATORS[self.operator](number, self.expected), shown
        if self.operator == Operator.MATCHES:
            try:
                found = self.expected.search(_as_text(actual)[:MAX_MATCHED_LENGTH], timeout=MATCH_TIMEOUT_SECONDS)
            except TimeoutError:
                return False, "the pattern took too long on this value"
            return found is not None, shown
        return self._compare(actual), shown

    def _compare(self, actual: Any) -> bool:
        if self.operator == Operator.CONTAINS:
            return self.expected.casefold() in _as_text(actual).casefold()
        if self.operator in LIST_OPERATORS:
            found = any(_same(actual, item) for item in self.expected)
            return found if self.operator == Operator.IN else not found
        equal = _same(actual, self.expected)
        return equal if self.operator == Operator.EQUALS else not equal


def compile_rule(
    *, name: str, field: str, operator: str, value: str, hard: bool, weight: int, label: str = ""
) -> CompiledRule:
    """Raises ValidationError keyed by the rule's form fields when the rule cannot be evaluated."""
    if operator not in Operator.values:
        raise ValidationError({"operator": f"Unknown operator “{operator[:40]}”."})
    rule_field_ = rule_field(field)
    expected = parse_value(rule_field_, operator, value)
    description = label.strip() or describe(rule_field_.label, operator, value)
    return CompiledRule(name, description, rule_field_, operator, expected, hard, weight)


def describe(field_label: str, operator: str, value: str) -> str:
    operator_label = Operator(operator).label
    return (
        f"{field_label} {operator_label}"
        if operator in PRESENCE_OPERATORS
        else f"{field_label} {operator_label} {value}"
    )


def _is_missing(value: Any) -> bool:
    return value is None or (
        isinstance(value, str | list | dict) and not (value.strip() if isinstance(value, str) else value)
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(_as_text(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _same(actual: Any, expected: Any) -> bool:
    """Booleans by truth, numbers by value, text without regard to case. In a custom field a JSON number compares
    by value (10 equals "10.0") and a JSON boolean with yes/true/1 or no/false/0."""
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual is expected
    if isinstance(expected, Decimal):
        return _as_number(actual) == expected
    if isinstance(actual, bool):
        return expected.casefold() in (TRUE_WORDS if actual else FALSE_WORDS)
    if not isinstance(actual, str):
        return _as_number(actual) is not None and _as_number(actual) == _as_number(expected)
    return actual.strip().casefold() == expected.casefold()


def _shown(value: Any) -> str:
    text = _as_text(value) if not isinstance(value, bool) else ("yes" if value else "no")
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 1] + "…"
