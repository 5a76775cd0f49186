"""Reads shared by the matchers, the checks, the audit command and the review screens."""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from leadflow.leads.models import Lead, LeadState
from leadflow.quality.matching.profile import FINGERPRINT_VERSION, LEAD_PROFILE_FIELDS
from leadflow.quality.matching.scoring import DEFAULT_PRIOR, Weights
from leadflow.quality.models import (
    CandidateStatus,
    DuplicateCandidate,
    LeadFingerprint,
    MatchSettings,
    NotDuplicatePair,
    RequiredFieldRule,
)

# What matching needs of a lead, besides its id: the profile fields and the imported extras.
LEAD_MATCH_FIELDS = ("pk", "state", "external_id", "source", "updated_at", "custom_fields", *LEAD_PROFILE_FIELDS)


@dataclass(frozen=True)
class MatchConfig:
    auto_threshold: float
    review_threshold: float
    max_block_size: int
    weights: Weights

    def decision(self, score: float) -> str:
        """'auto', 'review' or '' (ignored)."""
        if score >= self.auto_threshold:
            return "auto"
        return "review" if score >= self.review_threshold else ""


def match_config() -> MatchConfig:
    """The thresholds and weights people set in the admin (the migration's defaults when nobody has)."""
    row = MatchSettings.objects.prefetch_related("weights").filter(pk=1).first()
    if row is None:
        return MatchConfig(auto_threshold=0.9, review_threshold=0.6, max_block_size=200, weights=Weights())
    return MatchConfig(
        auto_threshold=row.auto_threshold,
        review_threshold=row.review_threshold,
        max_block_size=row.max_block_size,
        weights=Weights(
            prior=row.prior if row.prior is not None else DEFAULT_PRIOR,
            fields={w.field: (w.agree, w.disagree) for w in row.weights.all()},
        ),
    )


def blocked_lead_ids(*, keys: dict[str, str], exclude_id: int | None, max_block_size: int) -> set[int]:
    """Leads sharing a blocking key, one indexed look-up per key; a key shared by too many leads is skipped."""
    found: set[int] = set()
    for column, value in keys.items():
        if not value:
            continue
        ids = list(
            LeadFingerprint.objects.filter(**{column: value})
            .exclude(lead_id=exclude_id)
            .values_list("lead_id", flat=True)[: max_block_size + 1]
        )
        if len(ids) <= max_block_size:
            found.update(ids)
    return found


def same_contact_lead_ids(*, lead: Lead, limit: int) -> set[int]:
    """Leads with the same email, phone or company number in the Lead table's own indexed columns.

    Finds leads whose keys were never computed (stored before the checks existed, or bulk-loaded with no worker
    running) on the exact identifiers, as typed or as cleaned.
    """
    conditions = Q()
    if lead.email:
        conditions |= Q(email__in={lead.email, lead.email.lower()})
    for column in ("phone", "vat_number", "registration_number"):
        if getattr(lead, column):
            conditions |= Q(**{column: getattr(lead, column)})
    if not conditions:
        return set()
    return set(Lead.objects.filter(conditions).exclude(pk=lead.pk).values_list("pk", flat=True)[:limit])


def leads_for_matching(ids: set[int] | list[int]) -> QuerySet[Lead]:
    """Leads that can still be somebody's duplicate: merged-away ones match through their survivor."""
    return Lead.objects.filter(pk__in=ids).exclude(state=LeadState.DUPLICATE).only(*LEAD_MATCH_FIELDS)


def dismissed_partner_ids(*, lead_id: int) -> set[int]:
    """Leads a person has said are not duplicates of this one."""
    pairs = NotDuplicatePair.objects.filter(Q(lead_low_id=lead_id) | Q(lead_high_id=lead_id))
    return {low if high == lead_id else high for low, high in pairs.values_list("lead_low_id", "lead_high_id")}


def dismissed_pairs() -> set[tuple[int, int]]:
    return set(NotDuplicatePair.objects.values_list("lead_low_id", "lead_high_id"))


def stale_fingerprint_leads(*, source: str | None = None) -> QuerySet[Lead]:
    """Leads without keys, or whose keys predate their last change or the current key recipe."""
    leads = Lead.objects.all() if source is None else Lead.objects.filter(source=source)
    return leads.filter(
        Q(fingerprint__isnull=True)
        | ~Q(fingerprint__version=FINGERPRINT_VERSION)
        | ~Q(fingerprint__lead_updated_at=F("updated_at"))
    )


def open_candidates(*, lead: Lead) -> QuerySet[DuplicateCandidate]:
    """What the review workspace shows: open candidates, best first, with the other lead loaded."""
    return lead.duplicate_candidates.filter(status=CandidateStatus.OPEN).select_related("other_lead")


def required_field_rule(*, source: str) -> RequiredFieldRule | None:
    """The rule for this source, else the default rule (empty source), else None."""
    rules = {rule.source: rule for rule in RequiredFieldRule.objects.filter(source__in=[source, ""])}
    return rules.get(source) or rules.get("")
