from leadflow.leads.gates import Gate
from leadflow.leads.models import Lead
from leadflow.qualification.services import lead_assess


class CriteriaGate(Gate):
    """The hard conversion criteria must hold before a lead is qualified."""

    name = "criteria"

    def reasons(self, *, lead: Lead) -> list[str]:
        return [result.reason for result in lead_assess(lead=lead).hard_failures]
