from leadflow.leads.gates import Gate
from leadflow.leads.models import Lead
from leadflow.quality.models import CandidateStatus, Severity


class ValidationGate(Gate):
    """A lead is valid once the checks have run and found no errors."""

    name = "validation"

    def reasons(self, *, lead: Lead) -> list[str]:
        if lead.checked_at is None:
            return ["The checks have not run yet."]
        return list(lead.findings.filter(severity=Severity.ERROR).values_list("message", flat=True))


class DuplicateGate(Gate):
    """A lead that may be a duplicate waits until a person merges it or says it is not one."""

    name = "duplicates"

    def reasons(self, *, lead: Lead) -> list[str]:
        return [
            f"Possible duplicate of {candidate.target_label} ({candidate.score:.0%}): "
            "merge it or mark it as not a duplicate."
            for candidate in lead.duplicate_candidates.filter(status=CandidateStatus.OPEN)
        ]
