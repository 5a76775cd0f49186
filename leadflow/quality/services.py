"""Writes of the quality app: run the checks, keep blocking keys fresh, merge duplicates, dismiss candidates."""

import copy
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError, ExternalServiceError
from leadflow.core.plugins import load_objects
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import Actor, lead_checks_request, lead_event_record, lead_transition
from leadflow.quality import selectors
from leadflow.quality.matching import training
from leadflow.quality.matching.base import Candidate
from leadflow.quality.matching.profile import FINGERPRINT_VERSION, blocking_keys, profile_from_lead
from leadflow.quality.models import (
    BLOCKING_KEYS,
    CandidateDecision,
    CandidateStatus,
    ComparisonLevel,
    DuplicateCandidate,
    LeadFinding,
    LeadFingerprint,
    MatchSettings,
    NotDuplicatePair,
    Severity,
    TermFrequency,
)
from leadflow.quality.validators import Finding

logger = logging.getLogger(__name__)

# Findings written by matching rather than by a validator (hints, an unreachable CRM); replaced on each run.
MATCHING = "matching"
# Stop listing "same account" hints after this many: one is enough to act on.
MAX_ACCOUNT_HINTS = 3


def lead_run_checks(*, lead: Lead) -> None:
    """Pipeline step: validate and clean the lead's fields, refresh its keys, then look for duplicates.

    Validation runs under the lead's row lock; matching does not, because a matcher may call the CRM.
    Safe to run twice.
    """
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        findings = _validate_and_clean(locked)
        locked.checked_at = timezone.now()
        locked.save()
        _store_findings(locked, findings)
        fingerprint_refresh(leads=[locked])
    candidates, warnings = _match(locked)
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        config = selectors.match_config()
        _store_candidates(locked, candidates, config)
        _store_matching_findings(locked, candidates, warnings, config)


def fingerprint_refresh(*, leads: Iterable[Lead | Mapping[str, Any]]) -> int:
    """Write the blocking keys of these leads (insert or update in one statement). Returns how many.

    A lead may be given as a dict of `selectors.LEAD_MATCH_FIELDS` (cheaper than model instances in bulk).
    """
    rows = [
        LeadFingerprint(
            lead_id=lead["pk"] if isinstance(lead, Mapping) else lead.pk,
            version=FINGERPRINT_VERSION,
            lead_updated_at=lead["updated_at"] if isinstance(lead, Mapping) else lead.updated_at,
            **blocking_keys(profile_from_lead(lead)),
        )
        for lead in leads
    ]
    LeadFingerprint.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["version", "lead_updated_at", *BLOCKING_KEYS],
    )
    return len(rows)


# Training reads at most this many leads (an even sample of larger databases): m, u and term frequencies
# are shares, and a sample of this size pins them down well.
MAX_TRAINING_LEADS = 100_000
# Fewer leads than this: too few duplicates to learn from; the hand-set weights stay in use.
MIN_TRAINING_LEADS = 500
# The audit retrains first when the number of leads moved this far (as a factor) from what the model saw.
RETRAIN_GROWTH = 1.5


def match_model_train(*, progress: Any = None) -> training.TrainedModel | None:
    """Learn the match model from the leads in the database and store it (MatchSettings, ComparisonLevel,
    TermFrequency). Weights a person overrode in the admin are kept. Returns None, and changes nothing, when
    the database is too small to learn from.
    """
    leads = Lead.objects.exclude(state=LeadState.DUPLICATE)
    total = leads.count()
    if total < MIN_TRAINING_LEADS:
        return None
    step = -(-total // MAX_TRAINING_LEADS)  # every step-th lead: an even sample of a large database
    rows = leads.order_by("pk").values(*selectors.LEAD_MATCH_FIELDS).iterator(chunk_size=2000)
    if progress is not None:
        rows = progress(rows, total=total, desc="Reading leads to learn from", unit="lead")
    profiles = [profile_from_lead(values) for i, values in enumerate(rows) if i % step == 0]
    config = selectors.match_config()
    hand_set = selectors.hand_set_weights()
    model = training.train(profiles, prior=hand_set, max_block_size=config.max_block_size)
    if model is not None:
        _store_model(model)
    return model


def match_model_is_stale() -> bool:
    """True when the database has grown (or shrunk) well past what the model learned from, or it never learned."""
    row = MatchSettings.objects.filter(pk=1).first()
    total = Lead.objects.exclude(state=LeadState.DUPLICATE).count()
    if row is None or not row.use_learned_weights or total < MIN_TRAINING_LEADS:
        return False
    if row.match_probability is None:
        return True
    return not (
        row.trained_records / RETRAIN_GROWTH <= min(total, MAX_TRAINING_LEADS) <= row.trained_records * RETRAIN_GROWTH
    )


def _store_model(model: training.TrainedModel) -> None:
    with transaction.atomic():
        row, _ = MatchSettings.objects.select_for_update().get_or_create(pk=1)
        overrides = {(lv.field, lv.level): lv.weight_override for lv in row.levels.exclude(weight_override=None)}
        row.levels.all().delete()
        ComparisonLevel.objects.bulk_create(
            ComparisonLevel(
                settings=row,
                field=field_name,
                level=level,
                m=model.m[(field_name, level)],
                u=model.u[(field_name, level)],
                weight_override=overrides.get((field_name, level)),
            )
            for field_name, level in model.m
        )
        TermFrequency.objects.all().delete()
        TermFrequency.objects.bulk_create(
            (TermFrequency(field=f, value=v[:255], share=share) for (f, v), share in model.term_frequency.items()),
            batch_size=5000,
            ignore_conflicts=True,
        )
        row.trained_at = timezone.now()
        row.trained_records, row.trained_pairs = model.records, model.pairs
        row.match_probability = model.match_share
        row.replaced_name_share = model.replaced_name_share
        row.common_values = model.common
        row.save()


def fingerprint_statistics_refresh() -> None:
    """Refresh the planner statistics of the leads and their keys (after bulk key computation)."""
    tables = (Lead._meta.db_table, LeadFingerprint._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def lead_merge(*, survivor: Lead, loser: Lead, field_choices: dict[str, str], actor: Actor, reason: str = "") -> Lead:
    """Merge `loser` into `survivor`: per field, keep the survivor's value or take the loser's.

    `field_choices` maps a field of Lead.EDITABLE_FIELDS to "survivor" or "loser"; a field not named keeps the
    survivor's value, or takes the loser's when the survivor has none. No value is lost: every non-empty loser
    value that was not taken is kept in the survivor's `custom_fields["merged_values"]` and in the merge events.
    The loser becomes `duplicate` of the survivor and keeps its submission and audit trail.
    """
    _check_choices(field_choices)
    if survivor.pk == loser.pk:
        raise ApplicationError("A lead cannot be merged into itself.")
    with transaction.atomic():
        locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=[survivor.pk, loser.pk])}
        survivor, loser = locked[survivor.pk], locked[loser.pk]
        _check_mergeable(survivor, loser)
        taken, kept = _merge_values(survivor, loser, field_choices)
        data = {
            "survivor": survivor.pk,
            "loser": loser.pk,
            "taken": {name: {"was": str(getattr(survivor, name) or ""), "now": str(v)} for name, v in taken.items()},
            "kept_aside": kept,
        }
        for name, value in taken.items():
            setattr(survivor, name, value)
        aside = {**loser.custom_fields.get("merged_values", {}), **survivor.custom_fields.get("merged_values", {})}
        survivor.custom_fields = {**loser.custom_fields, **survivor.custom_fields}
        if kept or aside:
            survivor.custom_fields["merged_values"] = {**aside, **({str(loser.pk): kept} if kept else {})}
        survivor.full_clean(exclude=["state", "owner", "duplicate_of"])
        survivor.save()
        lead_transition(lead=loser, name="mark_duplicate", actor=actor, reason=reason, survivor=survivor)
        for lead in (survivor, loser):
            lead_event_record(lead=lead, kind=LeadEvent.Kind.MERGE, actor=actor, reason=reason, data=data)
        _resolve_pair(survivor, loser, CandidateStatus.MERGED, actor)
        if survivor.is_open:
            lead_checks_request(lead=survivor)
    return survivor


def candidate_dismiss(*, candidate: DuplicateCandidate, actor: Actor, reason: str = "") -> DuplicateCandidate:
    """A person says the candidate is a different customer: remembered, never raised again for the pair."""
    return _candidate_set_apart(
        candidate, CandidateStatus.NOT_DUPLICATE, actor, reason or f"Not a duplicate of {candidate.target_label}."
    )


def candidate_confirm_existing_customer(
    *, candidate: DuplicateCandidate, actor: Actor, reason: str = ""
) -> DuplicateCandidate:
    """A person says the lead is a new enquiry from this customer, who is already in Salesforce: the lead goes on
    on its own (never merged away, so the enquiry is kept) and its conversion adds a new Opportunity to the
    customer's Account."""
    if not candidate.is_existing_customer:
        raise ApplicationError(f"{candidate.target_label.capitalize()} is not a customer in Salesforce yet.")
    reason = reason or f"New enquiry from an existing customer ({candidate.target_label})."
    return _candidate_set_apart(candidate, CandidateStatus.EXISTING_CUSTOMER, actor, reason)


def _candidate_set_apart(candidate: DuplicateCandidate, status: str, actor: Actor, reason: str) -> DuplicateCandidate:
    """Resolve a candidate without merging; the pair of leads is never raised again."""
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().select_related("lead").get(pk=candidate.pk)
        if candidate.status != CandidateStatus.OPEN:
            raise ApplicationError("This candidate has already been resolved.")
        if candidate.other_lead_id:
            low, high = sorted((candidate.lead_id, candidate.other_lead_id))
            NotDuplicatePair.objects.get_or_create(
                lead_low_id=low, lead_high_id=high, defaults=_user(actor, "decided_by")
            )
            _resolve_pair(candidate.lead, candidate.other_lead, status, actor)
        else:
            _resolve(DuplicateCandidate.objects.filter(pk=candidate.pk), status, actor)
        lead_event_record(
            lead=candidate.lead,
            kind=LeadEvent.Kind.NOTE,
            actor=actor,
            reason=reason,
            data={"not_duplicate_of": candidate.other_lead_id or f"{candidate.remote_object}:{candidate.remote_id}"},
        )
        lead_checks_request(lead=candidate.lead)
    candidate.refresh_from_db()
    return candidate


def lead_changes_errors(*, lead: Lead, changes: dict[str, Any]) -> dict[str, list[str]]:
    """What the validators would reject in these edits, per changed field, checked on a copy (nothing saved):
    a person sees the problem at once instead of the lead silently dropping back to new after saving."""
    trial = copy.copy(lead)
    for field, value in changes.items():
        setattr(trial, field, value)
    errors: dict[str, list[str]] = {}
    for _, finding, _ in _validate_and_clean(trial):
        if finding.severity == Severity.ERROR and finding.field in changes:
            errors.setdefault(finding.field, []).append(finding.message)
    return errors


def _validate_and_clean(lead: Lead) -> list[tuple[str, Finding, str]]:
    """Each validator sees the values cleaned by those before it. Returns (validator, finding, original)."""
    results = []
    for validator in load_objects("LEADFLOW_VALIDATORS"):
        for finding in validator.validate(lead=lead):
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


def _match(lead: Lead) -> tuple[list[tuple[str, Candidate]], list[str]]:
    """Every matcher's candidates; a CRM that cannot be reached is a warning, never a failed check."""
    candidates, warnings = [], []
    for matcher in load_objects("LEADFLOW_MATCHERS"):
        try:
            candidates.extend((matcher.name, c) for c in matcher.match(lead=lead))
        except ExternalServiceError as exc:
            if not getattr(matcher, "network", False):
                raise
            logger.warning("Matcher %s could not run for lead %s: %s", matcher.name, lead.pk, exc.message)
            warnings.append(f"Could not look for duplicates in the CRM ({exc.message}); try the checks again later.")
    return candidates, warnings


def _target(c: Candidate) -> dict[str, Any]:
    if c.other_lead_id:
        return {"other_lead_id": c.other_lead_id}
    return {"remote_object": c.remote_object, "remote_id": c.remote_id}


def _store_candidates(lead: Lead, candidates: list[tuple[str, Candidate]], config: selectors.MatchConfig) -> None:
    """Keep decisions people already made; refresh open candidates; drop open ones no longer found."""
    best: dict[tuple, tuple[str, Candidate]] = {}
    for matcher_name, c in candidates:
        key = tuple(_target(c).items())
        if config.decision(c.score) and (key not in best or c.score > best[key][1].score):
            best[key] = (matcher_name, c)
    resolved = {
        tuple(_target_of_row(row).items())
        for row in lead.duplicate_candidates.exclude(status=CandidateStatus.OPEN).only(
            "other_lead_id", "remote_object", "remote_id"
        )
    }
    kept_ids = []
    for key, (matcher_name, c) in best.items():
        if key in resolved:
            continue
        values = {
            "matcher": matcher_name,
            "score": c.score,
            "reasons": c.reasons,
            "remote_label": c.remote_label[:255],
            "decision": CandidateDecision.AUTO if config.decision(c.score) == "auto" else CandidateDecision.REVIEW,
        }
        row, _ = DuplicateCandidate.objects.update_or_create(lead=lead, **dict(key), defaults=values)
        kept_ids.append(row.pk)
    lead.duplicate_candidates.filter(status=CandidateStatus.OPEN).exclude(pk__in=kept_ids).delete()


def _target_of_row(row: DuplicateCandidate) -> dict[str, Any]:
    if row.other_lead_id:
        return {"other_lead_id": row.other_lead_id}
    return {"remote_object": row.remote_object, "remote_id": row.remote_id}


def _store_matching_findings(
    lead: Lead, candidates: list[tuple[str, Candidate]], warnings: list[str], config: selectors.MatchConfig
) -> None:
    """'Same account' hints (a colleague or the company already known) and CRM warnings, as findings."""
    hints = [c for _, c in candidates if c.same_account and not config.decision(c.score)]
    hints.sort(key=lambda c: (c.remote_object != "Account", -c.score))
    rows = [
        LeadFinding(
            lead=lead,
            validator=MATCHING,
            field="company",
            code="same_account",
            severity=Severity.INFO,
            message=(f"Same company as {_hint_label(c)}: convert onto that account rather than creating a new one.")[
                :500
            ],
            cleaned_value=f"{c.remote_object}:{c.remote_id}" if c.remote_id else f"lead:{c.other_lead_id}",
        )
        for c in hints[:MAX_ACCOUNT_HINTS]
    ]
    rows += [
        LeadFinding(lead=lead, validator=MATCHING, code="crm_unreachable", severity=Severity.WARNING, message=w[:500])
        for w in warnings
    ]
    lead.findings.filter(validator=MATCHING).delete()
    LeadFinding.objects.bulk_create(rows)


def _hint_label(c: Candidate) -> str:
    if c.remote_id:
        return f"Salesforce {c.remote_object} {c.remote_label or c.remote_id}"
    return f"lead {c.other_lead_id} ({c.remote_label})"


def _check_choices(field_choices: dict[str, str]) -> None:
    unknown = set(field_choices) - set(Lead.EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be merged: {', '.join(sorted(unknown))}.")
    bad = {name for name, side in field_choices.items() if side not in ("survivor", "loser")}
    if bad:
        raise ApplicationError(f"Choose 'survivor' or 'loser' for: {', '.join(sorted(bad))}.")


def _check_mergeable(survivor: Lead, loser: Lead) -> None:
    if not loser.is_open:
        raise ApplicationError(f"Lead {loser.pk} is {loser.get_state_display().lower()} and cannot be merged away.")
    if survivor.state == LeadState.CONVERTED:
        # Merging would fold the new enquiry into a lead that never goes to Salesforce again: it would be lost.
        raise ApplicationError(
            f"Lead {survivor.pk} is already converted: lead {loser.pk} is a new enquiry from an existing customer. "
            "Mark it as such and convert it; it becomes a new Opportunity on the customer's Account."
        )
    if survivor.state in (LeadState.DUPLICATE, LeadState.REJECTED):
        raise ApplicationError(
            f"Lead {survivor.pk} is {survivor.get_state_display().lower()}: choose another survivor."
        )


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _merge_values(survivor: Lead, loser: Lead, field_choices: dict[str, str]) -> tuple[dict, dict]:
    """(values the survivor takes from the loser, every non-empty value that lost out, by field).

    A value that lost out is the loser's value not taken, or the survivor's own value replaced by the loser's;
    custom fields both leads have with different values count too ("custom_fields.<name>").
    """
    taken, kept = {}, {}
    for name in Lead.EDITABLE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(loser, name)
        if _is_empty(theirs) or mine == theirs:
            continue
        choice = field_choices.get(name, "loser" if _is_empty(mine) else "survivor")
        if choice == "loser":
            taken[name] = theirs
            if not _is_empty(mine):
                kept[name] = {"from_lead": survivor.pk, "value": str(mine)}
        else:
            kept[name] = {"from_lead": loser.pk, "value": str(theirs)}
    for name, theirs in loser.custom_fields.items():
        mine = survivor.custom_fields.get(name)
        if name != "merged_values" and mine is not None and mine != theirs and not _is_empty(theirs):
            kept[f"custom_fields.{name}"] = {"from_lead": loser.pk, "value": str(theirs)}
    if taken and survivor.state == LeadState.CONVERTED:
        raise ApplicationError("A converted lead's fields mirror the CRM: keep its values and merge again.")
    return taken, kept


def _resolve_pair(a: Lead, b: Lead, status: str, actor: Actor) -> None:
    """Both directions: a's candidate for b and b's candidate for a."""
    rows = DuplicateCandidate.objects.filter(lead=a, other_lead=b) | DuplicateCandidate.objects.filter(
        lead=b, other_lead=a
    )
    _resolve(rows.filter(status=CandidateStatus.OPEN), status, actor)


def _resolve(rows: Any, status: str, actor: Actor) -> None:
    rows.update(status=status, resolved_at=timezone.now(), **_user(actor, "resolved_by"))


def _user(actor: Actor, field_name: str) -> dict[str, Any]:
    return {field_name: actor} if actor is not None and not isinstance(actor, str) else {}
