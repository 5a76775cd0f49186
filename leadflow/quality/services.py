"""Run the validators and matchers over a lead and store what they found."""

from django.db import transaction
from django.utils import timezone

from leadflow.core.plugins import load_objects
from leadflow.leads.models import Lead
from leadflow.quality.matchers import Candidate
from leadflow.quality.models import CandidateDecision, CandidateStatus, DuplicateCandidate, LeadFinding, Severity
from leadflow.quality.validators import Finding

AUTO_THRESHOLD = 0.9
REVIEW_THRESHOLD = 0.6


def lead_run_checks(*, lead: Lead) -> None:
    """Pipeline step: validate and clean the lead's fields, then look for duplicates. Safe to run twice."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        findings = _validate_and_clean(lead)
        lead.checked_at = timezone.now()
        lead.save()
        _store_findings(lead, findings)
        candidates = [c for matcher in load_objects("LEADFLOW_MATCHERS") for c in _named(matcher, lead)]
        _store_candidates(lead, candidates)


def _validate_and_clean(lead: Lead) -> list[tuple[str, Finding, str]]:
    """Each validator sees the values cleaned by those before it. Returns (validator, finding, original)."""
    results = []
    for validator in load_objects("LEADFLOW_VALIDATORS"):
        for finding in validator.validate(lead):
            original = str(getattr(lead, finding.field, "") or "")
            if finding.cleaned_value is not None and finding.severity != Severity.ERROR:
                setattr(lead, finding.field, finding.cleaned_value)
            results.append((validator.name, finding, original))
    return results


def _store_findings(lead: Lead, findings: list[tuple[str, Finding, str]]) -> None:
    lead.findings.all().delete()
    LeadFinding.objects.bulk_create(
        LeadFinding(
            lead=lead,
            validator=validator_name,
            field=f.field,
            code=f.code,
            severity=f.severity,
            message=f.message[:500],
            original_value=original,
            cleaned_value=f.cleaned_value or "",
        )
        for validator_name, f, original in findings
    )


def _named(matcher: object, lead: Lead) -> list[tuple[str, Candidate]]:
    return [(matcher.name, candidate) for candidate in matcher.match(lead)]


def _store_candidates(lead: Lead, candidates: list[tuple[str, Candidate]]) -> None:
    """Keep decisions people already made; refresh open candidates; drop open ones no longer found."""
    kept_ids = []
    for matcher_name, c in candidates:
        if c.score < REVIEW_THRESHOLD:
            continue
        key = (
            {"other_lead_id": c.other_lead_id}
            if c.other_lead_id
            else {"remote_object": c.remote_object, "remote_id": c.remote_id}
        )
        existing = lead.duplicate_candidates.filter(**key).first()
        if existing and existing.status != CandidateStatus.OPEN:
            continue
        values = {
            "matcher": matcher_name,
            "score": c.score,
            "reasons": c.reasons,
            "remote_label": c.remote_label,
            "decision": CandidateDecision.AUTO if c.score >= AUTO_THRESHOLD else CandidateDecision.REVIEW,
        }
        candidate, _ = DuplicateCandidate.objects.update_or_create(lead=lead, **key, defaults=values)
        kept_ids.append(candidate.pk)
    lead.duplicate_candidates.filter(status=CandidateStatus.OPEN).exclude(pk__in=kept_ids).delete()
