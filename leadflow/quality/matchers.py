"""Duplicate matchers: each proposes records that may be the same customer as a lead, with a score and reasons."""

from dataclasses import dataclass, field

from django.db.models import Q

from leadflow.leads.models import Lead, LeadState
from leadflow.quality.models import NotDuplicatePair


@dataclass(frozen=True)
class Candidate:
    score: float
    reasons: list[str]
    other_lead_id: int | None = None
    remote_object: str = ""
    remote_id: str = ""
    remote_label: str = field(default="", compare=False)


class Matcher:
    """Contract for matchers (settings.LEADFLOW_MATCHERS). Scores run from 0 (different) to 1 (same)."""

    name = ""

    def match(self, lead: Lead) -> list[Candidate]:
        raise NotImplementedError


class ExactContactMatcher(Matcher):
    """Same email address, or same phone number, as another lead."""

    name = "exact"
    email_score = 1.0
    # A shared phone is often a company switchboard: worth a look, not proof.
    phone_score = 0.8

    def match(self, lead: Lead) -> list[Candidate]:
        conditions = Q()
        if lead.email:
            conditions |= Q(email__iexact=lead.email)
        if lead.phone.startswith("+"):
            conditions |= Q(phone=lead.phone)
        if not conditions:
            return []
        others = (
            Lead.objects.filter(conditions)
            .exclude(pk=lead.pk)
            .exclude(state=LeadState.DUPLICATE)
            .exclude(pk__in=dismissed_partners(lead))
            .only("pk", "email", "phone")[:20]
        )
        return [self._candidate(lead, other) for other in others]

    def _candidate(self, lead: Lead, other: Lead) -> Candidate:
        reasons, score = [], 0.0
        if lead.email and lead.email.lower() == other.email.lower():
            reasons.append(f"Same email address ({other.email}).")
            score = self.email_score
        if lead.phone and lead.phone == other.phone:
            reasons.append(f"Same phone number ({other.phone}).")
            score = max(score, self.phone_score)
        return Candidate(score=score, reasons=reasons, other_lead_id=other.pk)


def dismissed_partners(lead: Lead) -> list[int]:
    """Leads a person has said are not duplicates of this one."""
    pairs = NotDuplicatePair.objects.filter(Q(lead_low=lead) | Q(lead_high=lead)).values_list("lead_low", "lead_high")
    return [low if high == lead.pk else high for low, high in pairs]
