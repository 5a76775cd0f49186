"""Reads: the criteria in force (loaded once per evaluation scope) and the stored assessments."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from leadflow.qualification.models import SETTINGS_PK, QualificationRule, QualificationSettings
from leadflow.qualification.rules import CompiledRule


@dataclass(frozen=True)
class CriteriaConfig:
    """The active rules, compiled, and the thresholds: everything an assessment needs besides the lead."""

    rules: tuple[CompiledRule, ...]
    qualify_at: int
    reject_below: int


_scoped_config: ContextVar[CriteriaConfig | None] = ContextVar("leadflow_criteria_config", default=None)


def qualification_settings_get() -> QualificationSettings:
    settings_row, _ = QualificationSettings.objects.get_or_create(pk=SETTINGS_PK)
    return settings_row


def criteria_config_load() -> CriteriaConfig:
    """Two queries, whatever the number of rules."""
    settings_row = qualification_settings_get()
    rules = QualificationRule.objects.filter(active=True).order_by("order", "id")
    return CriteriaConfig(
        rules=tuple(rule.compiled() for rule in rules),
        qualify_at=settings_row.qualify_at,
        reject_below=settings_row.reject_below,
    )


@contextmanager
def criteria_config_scope(config: CriteriaConfig | None = None) -> Iterator[CriteriaConfig]:
    """Evaluate with one set of criteria: `config` (e.g. unsaved rules being tried out), else the one an enclosing
    scope holds, else the stored criteria loaded once. Batches and a transition with its gate checks share one
    load instead of reading the rules for every lead."""
    current = _scoped_config.get()
    chosen = config or current or criteria_config_load()
    token = _scoped_config.set(chosen)
    try:
        yield chosen
    finally:
        _scoped_config.reset(token)
