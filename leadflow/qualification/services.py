from dataclasses import dataclass

from leadflow.core.plugins import load_objects
from leadflow.leads.models import Lead, LeadState
from leadflow.leads.services import attempt_automatic, lead_qualify
from leadflow.qualification.criteria import CriterionResult


@dataclass(frozen=True)
class Assessment:
    results: list[CriterionResult]

    @property
    def hard_failures(self) -> list[CriterionResult]:
        return [r for r in self.results if r.hard and not r.passed]

    @property
    def fit(self) -> bool:
        return not self.hard_failures


def lead_assess(*, lead: Lead) -> Assessment:
    return Assessment(
        [result for criterion in load_objects("LEADFLOW_CRITERIA") for result in criterion.evaluate(lead)]
    )


def lead_auto_qualify(*, lead: Lead) -> None:
    """Pipeline step: qualify a validated lead that meets the criteria (the qualify gates still apply)."""
    if lead.state == LeadState.VALIDATED and lead_assess(lead=lead).fit:
        attempt_automatic(lead_qualify, lead=lead, actor=None, reason="Meets the conversion criteria.")
