"""Conversion criteria: each says whether a lead is fit to become a customer, and why."""

from dataclasses import dataclass
from typing import ClassVar

from leadflow.leads.models import Lead


@dataclass(frozen=True)
class CriterionResult:
    """`hard` results must pass for a lead to qualify at all; the others add `weight` to its score when they pass."""

    name: str
    passed: bool
    reason: str
    hard: bool = False
    weight: float = 0.0


class Criterion:
    """Contract for criteria (settings.LEADFLOW_CRITERIA). One criterion may yield several results."""

    name: ClassVar[str] = ""

    def evaluate(self, *, lead: Lead) -> list[CriterionResult]:
        raise NotImplementedError


class CompanyAndPersonKnown(Criterion):
    """Salesforce needs a company (Account name) and a last name (Contact) to create a customer."""

    name = "company_and_person"

    def evaluate(self, *, lead: Lead) -> list[CriterionResult]:
        return [
            CriterionResult(
                name="company_known",
                passed=bool(lead.company.strip()),
                reason="The company name is known." if lead.company.strip() else "The company name is missing.",
                hard=True,
            ),
            CriterionResult(
                name="person_known",
                passed=bool(lead.last_name.strip()),
                reason="The person's name is known."
                if lead.last_name.strip()
                else "The person's last name is missing.",
                hard=True,
            ),
        ]


class RuleCriteria(Criterion):
    """The qualification rules admins maintain as data (QualificationRule), evaluated in their order."""

    name = "rules"

    def evaluate(self, *, lead: Lead) -> list[CriterionResult]:
        # Imported here: the models import the rule language, which builds CriterionResults from this module.
        from leadflow.qualification.selectors import criteria_config_scope

        with criteria_config_scope() as config:
            return [rule.evaluate(lead) for rule in config.rules]
