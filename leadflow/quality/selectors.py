"""Reads shared by the matchers, the checks, the audit command and the review screens."""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from leadflow.leads.models import Lead, LeadState
from leadflow.quality.matching.comparisons import TERM_FREQUENCY_FIELDS, term_frequency_values
from leadflow.quality.matching.profile import FINGERPRINT_VERSION, LEAD_PROFILE_FIELDS, Profile
from leadflow.quality.matching.scoring import DEFAULT_PRIOR, Weights
from leadflow.quality.models import (
    LeadFingerprint,
    MatchSettings,
    NotDuplicatePair,
    RequiredFieldRule,
    TermFrequency,
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
    """The thresholds and the match model: learned level weights when trained (and switched on), with any weight
    a person overrode in the admin, else the hand-set weights. Term frequencies are loaded separately
    (`term_frequencies`), for only the values a caller needs.
    """
    row = MatchSettings.objects.prefetch_related("weights", "levels").filter(pk=1).first()
    if row is None:
        return MatchConfig(auto_threshold=0.9, review_threshold=0.6, max_block_size=200, weights=Weights())
    hand_set = {w.field: (w.agree, w.disagree) for w in row.weights.all()}
    learned = row.use_learned_weights and row.match_probability is not None
    levels = list(row.levels.all()) if learned else []
    prior = row.prior if row.prior is not None else DEFAULT_PRIOR
    if learned:
        prior = math.log(row.match_probability / (1 - row.match_probability))
    return MatchConfig(
        auto_threshold=row.auto_threshold,
        review_threshold=row.review_threshold,
        max_block_size=row.max_block_size,
        weights=Weights(
            prior=prior,
            fields=hand_set,
            levels={(level.field, level.level): level.weight for level in levels},
            u_exact={level.field: level.u for level in levels if level.level == "exact"},
            rare_share=1 / row.trained_records if learned and row.trained_records else 0.0,
            common={part: frozenset(values) for part, values in row.common_values.items()} if learned else {},
            replaced_name_share=(row.replaced_name_share or 0.0) if learned else 0.0,
        ),
    )


def hand_set_weights() -> Weights:
    """The weights people set per field (FieldWeight rows): the prior the learned model starts from."""
    row = MatchSettings.objects.prefetch_related("weights").filter(pk=1).first()
    if row is None:
        return Weights()
    return Weights(prior=row.prior, fields={w.field: (w.agree, w.disagree) for w in row.weights.all()})


def term_frequencies(*, profiles: list[Profile] | None = None) -> dict[tuple[str, str], float]:
    """{(field, value): share} for the values of these profiles, or the whole table when `profiles` is None."""
    rows = TermFrequency.objects.all()
    if profiles is not None:
        wanted = Q(pk__in=[])
        for field_name in TERM_FREQUENCY_FIELDS:
            values = {term_frequency_values(p)[field_name] for p in profiles} - {""}
            if values:
                wanted |= Q(field=field_name, value__in=values)
        rows = rows.filter(wanted)
    return {(field_name, value): share for field_name, value, share in rows.values_list("field", "value", "share")}


def blocked_lead_ids(*, keys: dict[str, str], exclude_id: int | None, max_block_size: int) -> set[int]:
    """Leads sharing a blocking key; a key shared by more than `max_block_size` leads is skipped.

    Usually one query (the keys OR-ed, each on its partial index); only when that returns more rows than all
    blocks may hold together, because some key is huge, one limited look-up per key finds which.
    """
    keys = {column: value for column, value in keys.items() if value}
    if not keys:
        return set()
    limit = len(keys) * (max_block_size + 1)
    matches = Q(pk__in=[])
    for column, value in keys.items():
        matches |= Q(**{column: value})
    rows = list(
        LeadFingerprint.objects.filter(matches).exclude(lead_id=exclude_id).values_list("lead_id", *keys)[:limit]
    )
    if len(rows) == limit:
        return _blocked_lead_ids_per_key(keys, exclude_id, max_block_size)
    by_rule: dict[str, list[int]] = defaultdict(list)
    for lead_id, *values in rows:
        for (column, value), theirs in zip(keys.items(), values, strict=True):
            if theirs == value:
                by_rule[column].append(lead_id)
    return {lead_id for ids in by_rule.values() if len(ids) <= max_block_size for lead_id in ids}


def _blocked_lead_ids_per_key(keys: dict[str, str], exclude_id: int | None, max_block_size: int) -> set[int]:
    found: set[int] = set()
    for column, value in keys.items():
        ids = list(
            LeadFingerprint.objects.filter(**{column: value})
            .exclude(lead_id=exclude_id)
            .values_list("lead_id", flat=True)[: max_block_size + 1]
        )
        if len(ids) <= max_block_size:
            found.update(ids)
    return found


def sampled_lead_ids(*, keys: dict[str, str], exclude_id: int | None, limit: int) -> set[int]:
    """A few leads per key, however many share it: enough to say "same company", cheap at any size."""
    found: set[int] = set()
    for column, value in keys.items():
        if value:
            rows = LeadFingerprint.objects.filter(**{column: value}).exclude(lead_id=exclude_id)
            found.update(rows.values_list("lead_id", flat=True)[:limit])
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


def required_field_rule(*, source: str) -> RequiredFieldRule | None:
    """The rule for this source, else the default rule (empty source), else None."""
    rules = {rule.source: rule for rule in RequiredFieldRule.objects.filter(source__in=[source, ""])}
    return rules.get(source) or rules.get("")
